using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Threading.Channels;
using DuckDB.NET.Data;
using DuckDB.NET.Native;
using Lakehouse.Common;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Query;

/// <summary>
/// Runs user SQL on a pooled connection: gate, execute in streaming mode, then write rows as they
/// come. query.timeout and a client that hangs up both interrupt DuckDB (duckdb_interrupt); a
/// time-out before the first batch of rows is a 408, after it the stream is cut.
/// </summary>
internal sealed class DuckDbQueryService(QueryEngine engine, DatasetViews views, LakehouseConfig config, IMeterFactory meters, ILogger<DuckDbQueryService> logger) : IQueryService
{
    const int FlushBytes = 64 * 1024;

    readonly Histogram<double> _latency = meters.Create(Telemetry.MeterName).CreateHistogram<double>("lakehouse.query.duration", "ms");
    readonly TimeSpan _timeout = Duration.Parse(config.Query.Timeout);

    public async Task ExecuteAsync(SqlRequest request, ResultFormat format, Func<string, PipeWriter> begin, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Sql)) throw ProblemException.BadRequest("sql is required: the statement to run.");
        if (request.MaxRows is < 0) throw ProblemException.BadRequest("max_rows must be 0 or more.");
        await views.EnsureCurrentAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        using var activity = Telemetry.ActivitySource.StartActivity("query");
        using var timeout = new CancellationTokenSource(_timeout);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        DuckDBConnection connection;
        try
        {
            connection = await engine.RentAsync(cancel.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ProblemException(408, "Query timed out", $"All {QueryEngine.Connections} query connections stayed busy for query.timeout ({config.Query.Timeout}); try again when fewer queries run.");
        }
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
        await using var interrupt = cancel.Register(() => NativeMethods.Startup.DuckDBInterrupt(connection.NativeConnection));
        RowSource? source = null;
        var started = false;
        try
        {
            source = RowSource.Start(Prepare(connection, sql), maxRows);
            // The first batch is read before the response starts, so that an error or a time-out
            // there is still a proper 400 or 408; blocking calls on this request's thread (a hop to
            // another thread only added latency to small results).
            var columns = source.Columns;
            var first = new RowBatch(columns);
            source.Fill(first);
            // From here the time-out stops the query only by interrupting DuckDB (the reading side then
            // fails): a cancelled write would make Kestrel drop the connection as if the client had left.
            var writer = ResultWriter.For(format, begin(ContentType(format)));
            started = true;
            writer.Begin(columns);
            await WriteAsync(writer, first, columns, clientGone);
            var rows = (long)first.Count;
            if (source.HasRow)
            {
                rows += await StreamRestAsync(source, writer, columns, first, clientGone);
            }
            writer.End(rows, source.Truncated, clock.ElapsedMilliseconds);
            await writer.FlushAsync(clientGone);
        }
        catch (Exception e) when (e is QueryFailedException or OperationCanceledException)
        {
            var failure = Failure(e, timeout, clientGone);
            // Once rows went out the response cannot become an error document: the host cuts the
            // connection (the client sees an incomplete body), so the reason is logged here.
            if (started && failure is ProblemException) logger.LogWarning("Query stopped after the response began: {Reason}", failure.Message);
            throw failure;
        }
        finally
        {
            source?.Dispose();
        }
    }

    /// <summary>
    /// The statement to run, with its vector_search calls of constants sent to the table function
    /// (<see cref="ConstantVectorSearchCalls"/>). Should that fail, the text as written is prepared
    /// instead, so that the error DuckDB reports (its LINE 1 excerpt) quotes the SQL the client sent.
    /// </summary>
    DuckDBPreparedStatement Prepare(DuckDBConnection connection, string sql)
    {
        var routed = engine.HasVectorSearch ? ConstantVectorSearchCalls.Route(sql) : sql;
        if (ReferenceEquals(routed, sql)) return SqlGate.Prepare(connection, sql);
        try
        {
            return SqlGate.Prepare(connection, routed);
        }
        catch (ProblemException)
        {
            return SqlGate.Prepare(connection, sql);
        }
    }

    /// <summary>
    /// The rows after the first batch: the row source fills batches from DuckDB on its own thread, one
    /// batch ahead of the formatting here. Small results never get this far, so they pay for no thread hop.
    /// </summary>
    static async Task<long> StreamRestAsync(RowSource source, ResultWriter writer, ResultColumn[] columns, RowBatch spareBatch, CancellationToken cancel)
    {
        var batches = Channel.CreateBounded<RowBatch>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var spare = new ConcurrentQueue<RowBatch>();
        spareBatch.Clear();
        spare.Enqueue(spareBatch);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var producer = Task.Run(() => Produce(source, columns, batches.Writer, spare, stop.Token), CancellationToken.None);
        long rows = 0;
        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(cancel))
            {
                await WriteAsync(writer, batch, columns, cancel);
                rows += batch.Count;
                batch.Clear();
                spare.Enqueue(batch);
            }
            await producer;
            return rows;
        }
        finally
        {
            // Never leave the row source to a producer still running: stop it and wait before it is disposed.
            await stop.CancelAsync();
            await producer.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    static async ValueTask WriteAsync(ResultWriter writer, RowBatch batch, ResultColumn[] columns, CancellationToken cancel)
    {
        for (var row = 0; row < batch.Count; row++)
        {
            writer.Row(batch, row, columns);
            if (writer.Pending >= FlushBytes) await writer.FlushAsync(cancel);
        }
    }

    static void Produce(RowSource source, ResultColumn[] columns, ChannelWriter<RowBatch> output, ConcurrentQueue<RowBatch> spare, CancellationToken stop)
    {
        try
        {
            while (source.HasRow)
            {
                var batch = spare.TryDequeue(out var reused) ? reused : new RowBatch(columns);
                source.Fill(batch);
                if (batch.Count > 0) output.WriteAsync(batch, stop).AsTask().GetAwaiter().GetResult();
            }
            output.Complete();
        }
        catch (Exception e)
        {
            output.TryComplete(e);
            throw;
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
        if (clientGone.IsCancellationRequested) return error as OperationCanceledException ?? new OperationCanceledException(clientGone);
        if (timeout.IsCancellationRequested)
        {
            return new ProblemException(408, "Query timed out", $"The query ran longer than query.timeout ({config.Query.Timeout}) and was cancelled.");
        }
        return SqlGate.Refusal(error.Message);
    }
}
