using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Lakehouse.Common;
using Lakehouse.Query;

namespace Lakehouse.Vectors;

public sealed record FromSqlRequest(string? Sql);

/// <param name="Refusals">The first refused rows, each with its row number (from 1), id when it has one, and why.</param>
public sealed record FromSqlResult(long Added, long Updated, long Refused, int Count, IReadOnlyList<FromSqlRefusal> Refusals);

public sealed record FromSqlRefusal(long Row, string? Id, string Detail);

/// <summary>
/// <c>POST /v1/vectors/indexes/{name}/items:from-sql</c> (docs/api.md): runs a query through the query
/// module (so the same sandbox and limits) and upserts its rows as items: the <c>id</c> column (text or
/// number), the <c>vector</c> column (a list or array of numbers), every other column into metadata.
/// Rows are checked one by one as a batch's items are; a row that cannot be an item is refused and
/// reported, and the rest are upserted in batches of <see cref="BatchSize"/>, each one delta, all or
/// nothing. The whole result is read before the first upsert, so the query's time-out measures the
/// query, not the graph's inserts. Needs the query module in the same process.
/// </summary>
internal sealed class IndexFromSql(VectorService vectors, IQueryService? queries)
{
    const int BatchSize = 10_000;
    public const long MaxRows = 1_000_000;
    const int ReportedRefusals = 100;

    public async Task<FromSqlResult> RunAsync(string name, FromSqlRequest request, CancellationToken cancellationToken)
    {
        if (queries is null) throw ProblemException.NotFound("items:from-sql needs the query module in this process; add \"query\" to [host] modules.");
        if (string.IsNullOrWhiteSpace(request.Sql)) throw ProblemException.BadRequest("sql is required: a query whose result has an id and a vector column.");
        var parameters = vectors.ParamsOf(name);
        var rows = await ReadAsync(request.Sql, parameters, cancellationToken);

        long added = 0, updated = 0;
        var count = vectors.Get(name).Count;
        var batch = new List<VectorItem>(BatchSize);
        var inBatch = new HashSet<string>(StringComparer.Ordinal);
        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            var result = await vectors.UpsertAsync(name, batch, cancellationToken);
            (added, updated, count) = (added + result.Added, updated + result.Updated, result.Count);
            batch = new List<VectorItem>(BatchSize);
            inBatch.Clear();
        }
        foreach (var item in rows.Items)
        {
            if (batch.Count == BatchSize || !inBatch.Add(item.Id))
            {
                await FlushAsync(); // a repeated id goes into the next batch: the later row wins, as in SQL's last write
                inBatch.Add(item.Id);
            }
            batch.Add(item);
        }
        await FlushAsync();
        return new FromSqlResult(added, updated, rows.Refused, count, rows.Refusals);
    }

    sealed record Read(List<VectorItem> Items, long Refused, List<FromSqlRefusal> Refusals);

    /// <summary>Runs the query as NDJSON into a pipe and turns each line into an item or a refusal.</summary>
    async Task<Read> ReadAsync(string sql, IndexParams parameters, CancellationToken cancellationToken)
    {
        var pipe = new Pipe();
        var reading = Task.Run(() => ParseAsync(pipe.Reader, parameters, cancellationToken), cancellationToken);
        try
        {
            await queries!.ExecuteAsync(new SqlRequest(sql, MaxRows + 1), ResultFormat.Ndjson, _ => pipe.Writer, cancellationToken);
            await pipe.Writer.CompleteAsync();
        }
        catch (Exception e)
        {
            await pipe.Writer.CompleteAsync(e);
            await reading.ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }
        return await reading;
    }

    static async Task<Read> ParseAsync(PipeReader reader, IndexParams parameters, CancellationToken cancellationToken)
    {
        var items = new List<VectorItem>();
        var refusals = new List<FromSqlRefusal>();
        long refused = 0, row = 0;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            var buffer = read.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } end)
            {
                row++;
                if (row > MaxRows) throw ProblemException.TooLarge($"items:from-sql takes at most {MaxRows:N0} rows; page the query with LIMIT and OFFSET.");
                var line = buffer.Slice(0, end);
                if (row == 1) CheckColumns(line);
                try
                {
                    items.Add(ItemOf(line, row, parameters));
                }
                catch (ProblemException refusal) when (refusal.Status == 400)
                {
                    refused++;
                    if (refusals.Count < ReportedRefusals) refusals.Add(new FromSqlRefusal(row, IdOf(line), refusal.Message));
                }
                buffer = buffer.Slice(buffer.GetPosition(1, end));
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted) break;
        }
        await reader.CompleteAsync();
        return new Read(items, refused, refusals);
    }

    /// <summary>One row as an item: id and vector by name, every other column into metadata; 400 says why a row cannot be one.</summary>
    static VectorItem ItemOf(ReadOnlySequence<byte> line, long row, IndexParams parameters)
    {
        using var document = JsonDocument.Parse(line);
        var columns = document.RootElement;
        var idValue = columns.GetProperty("id");
        var vectorValue = columns.GetProperty("vector");
        string? id = idValue.ValueKind switch
        {
            JsonValueKind.String => idValue.GetString(),
            JsonValueKind.Number => idValue.GetRawText(),
            JsonValueKind.Null => null,
            _ => throw ProblemException.BadRequest($"row {row}: id must be text or a number, not {idValue.ValueKind.ToString().ToLowerInvariant()}."),
        };
        float[]? vector = null;
        if (vectorValue.ValueKind == JsonValueKind.Array)
        {
            vector = new float[vectorValue.GetArrayLength()];
            var i = 0;
            foreach (var value in vectorValue.EnumerateArray())
            {
                if (value.ValueKind != JsonValueKind.Number) throw ProblemException.BadRequest($"row {row}: vector[{i}] is {value.GetRawText()}; values must be numbers.");
                vector[i++] = (float)value.GetDouble();
            }
        }
        else if (vectorValue.ValueKind != JsonValueKind.Null)
        {
            throw ProblemException.BadRequest($"row {row}: vector must be a list or array of numbers, not {vectorValue.ValueKind.ToString().ToLowerInvariant()}.");
        }
        return VectorService.CheckItem(id, vector, Metadata(columns), parameters, $"row {row}");
    }

    /// <summary>
    /// The result has the two columns every item needs (every row of NDJSON has every column). A name the
    /// query repeats arrives as DuckDB names a subquery's columns (<c>… AS id, … AS id</c>: id, id_1), so
    /// the first is the id and the others are metadata.
    /// </summary>
    static void CheckColumns(ReadOnlySequence<byte> line)
    {
        using var document = JsonDocument.Parse(line);
        foreach (var column in new[] { "id", "vector" })
        {
            if (!document.RootElement.TryGetProperty(column, out _))
            {
                throw ProblemException.BadRequest($"The query's result has no \"{column}\" column; name the columns id and vector, e.g. SELECT doc_id AS id, embedding AS vector, title FROM docs.");
            }
        }
    }

    static string? Metadata(JsonElement columns)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            foreach (var column in columns.EnumerateObject())
            {
                if (column.NameEquals("id") || column.NameEquals("vector")) continue;
                column.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        return output.WrittenCount <= 2 ? null : Encoding.UTF8.GetString(output.WrittenSpan);
    }

    static string? IdOf(ReadOnlySequence<byte> line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.TryGetProperty("id", out var id) && id.ValueKind is JsonValueKind.String or JsonValueKind.Number ? id.ToString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
