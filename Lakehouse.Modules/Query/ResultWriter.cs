using System.Buffers;
using System.IO.Pipelines;

namespace Lakehouse.Query;

/// <summary>
/// Writes a query result into the response batch by batch (see <see cref="RowBatch"/>), with the
/// value handling chosen once per column: memory stays flat however many rows there are. Rows are
/// formatted into a private 64 KiB buffer and handed to the response pipe a chunk at a time, because
/// every Advance on Kestrel's pipe takes a lock (many small writes made CSV 35% slower than JSON).
/// The buffer starts below the large-object heap's 85,000 bytes and grows only for a large result:
/// 96 KiB from the start put every small query's buffer on that heap, and the SQL path then ran a
/// gen-2 collection every ~40 queries.
/// </summary>
internal abstract class ResultWriter(PipeWriter output)
{
    protected ArrayBufferWriter<byte> Buffer { get; } = new(16 * 1024);

    protected PipeWriter Output { get; } = output;

    public abstract void Begin(ResultColumn[] columns);

    public abstract void Row(RowBatch batch, int row, ResultColumn[] columns);

    public abstract void End(long rowCount, bool truncated, long elapsedMs);

    /// <summary>Bytes formatted since the last flush to the client.</summary>
    public long Pending => Buffer.WrittenCount;

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        Output.Write(Buffer.WrittenSpan);
        Buffer.ResetWrittenCount();
        await Output.FlushAsync(cancellationToken);
    }

    public static ResultWriter For(ResultFormat format, PipeWriter output) => format switch
    {
        ResultFormat.Csv => new CsvResultWriter(output),
        ResultFormat.Ndjson => new NdjsonResultWriter(output),
        _ => new JsonResultWriter(output),
    };
}
