using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using DuckDB.NET.Data;
using Lakehouse.Common;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Query;

/// <summary>
/// Runs user SQL on a pooled connection: gate, execute in streaming mode, then write rows as they
/// come. query.timeout and a client that hangs up both interrupt DuckDB (DuckDBCommand.Cancel); a
/// time-out before the first row is a 408, after it the stream is cut.
/// </summary>
internal sealed class DuckDbQueryService(QueryEngine engine, LakehouseConfig config, IMeterFactory meters, ILogger<DuckDbQueryService> logger) : IQueryService
{
    const int FlushBytes = 64 * 1024;

    readonly Histogram<double> _latency = meters.Create(Telemetry.MeterName).CreateHistogram<double>("lakehouse.query.duration", "ms");
    readonly TimeSpan _timeout = Duration.Parse(config.Query.Timeout);

    public async Task ExecuteAsync(SqlRequest request, ResultFormat format, Func<string, PipeWriter> begin, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Sql)) throw ProblemException.BadRequest("sql is required: the statement to run.");
        if (request.MaxRows is < 0) throw ProblemException.BadRequest("max_rows must be 0 or more.");
        var clock = Stopwatch.StartNew();
        using var activity = Telemetry.ActivitySource.StartActivity("query");
        using var timeout = new CancellationTokenSource(_timeout);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var connection = engine.Rent();
        try
        {
            await RunAsync(connection, request.Sql, request.MaxRows, format, begin, clock, cancel.Token, timeout, cancellationToken);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Query cancelled after {Elapsed} ms: the client went away", clock.ElapsedMilliseconds);
            throw;
        }
        finally
        {
            engine.Return(connection);
            _latency.Record(clock.Elapsed.TotalMilliseconds);
        }
    }

    async Task RunAsync(DuckDBConnection connection, string sql, long? maxRows, ResultFormat format, Func<string, PipeWriter> begin, Stopwatch clock,
        CancellationToken cancel, CancellationTokenSource timeout, CancellationToken clientGone)
    {
        SqlGate.Check(connection, sql);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.UseStreamingMode = true;
        await using var interrupt = cancel.Register(command.Cancel);

        DuckDBDataReader reader;
        bool hasRow;
        try
        {
            reader = (DuckDBDataReader)await Task.Run(() => command.ExecuteReader(), CancellationToken.None);
            hasRow = await Task.Run(reader.Read, CancellationToken.None);
        }
        catch (Exception e) when (e is DuckDBException or OperationCanceledException)
        {
            throw Failure(e, timeout, clientGone);
        }
        await using (reader)
        {
            var columns = ResultColumn.Of(reader);
            var writer = ResultWriter.For(format, begin(ContentType(format)));
            writer.Begin(columns);
            long rows = 0;
            var truncated = false;
            while (hasRow)
            {
                if (rows == maxRows)
                {
                    truncated = true;
                    break;
                }
                writer.Row(reader, columns);
                rows++;
                if (writer.Pending >= FlushBytes) await writer.FlushAsync(cancel);
                hasRow = reader.Read();
            }
            writer.End(rows, truncated, clock.ElapsedMilliseconds);
            await writer.FlushAsync(cancel);
        }
    }

    static string ContentType(ResultFormat format) => format switch
    {
        ResultFormat.Csv => "text/csv; charset=utf-8",
        ResultFormat.Ndjson => "application/x-ndjson",
        _ => "application/json; charset=utf-8",
    };

    Exception Failure(Exception error, CancellationTokenSource timeout, CancellationToken clientGone)
    {
        if (clientGone.IsCancellationRequested) return new OperationCanceledException(clientGone);
        if (timeout.IsCancellationRequested)
        {
            return new ProblemException(408, "Query timed out", $"The query ran longer than query.timeout ({config.Query.Timeout}) and was cancelled.");
        }
        return SqlGate.Refusal(error.Message);
    }
}
