using System.IO.Pipelines;
using System.Text;

namespace Lakehouse.Query;

/// <summary>One JSON object per row and line, keyed by column name.</summary>
internal sealed class NdjsonResultWriter : ResultWriter
{
    readonly JsonText _json;
    byte[][] _keys = [];

    public NdjsonResultWriter(PipeWriter output)
        : base(output) => _json = new JsonText(Buffer);

    /// <summary>Each column's "name": with its separator, encoded once.</summary>
    public override void Begin(ResultColumn[] columns) => _keys = [.. columns.Select((column, i) =>
    {
        var key = new System.Buffers.ArrayBufferWriter<byte>();
        new JsonText(key).String(Encoding.UTF8.GetBytes(column.Name));
        return (byte[])[.. i == 0 ? "{"u8 : ","u8, .. key.WrittenSpan, .. ":"u8];
    })];

    public override void Row(RowBatch batch, int row, ResultColumn[] columns)
    {
        if (columns.Length == 0) _json.Byte((byte)'{');
        for (var i = 0; i < columns.Length; i++)
        {
            _json.Raw(_keys[i]);
            _json.Value(batch, row, i, columns[i]);
        }
        _json.Raw("}\n"u8);
    }

    public override void End(long rowCount, bool truncated, long elapsedMs)
    {
    }
}
