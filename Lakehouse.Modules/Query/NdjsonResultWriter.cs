using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Lakehouse.Query;

/// <summary>One JSON object per row and line, keyed by column name.</summary>
internal sealed class NdjsonResultWriter : ResultWriter
{
    readonly Utf8JsonWriter _json;
    JsonEncodedText[] _names = [];

    public NdjsonResultWriter(PipeWriter output)
        : base(output) => _json = new Utf8JsonWriter(Buffer, JsonOptions);

    public override void Begin(ResultColumn[] columns) => _names = [.. columns.Select(c => JsonEncodedText.Encode(c.Name))];

    public override void Row(RowBatch batch, int row, ResultColumn[] columns)
    {
        _json.WriteStartObject();
        for (var i = 0; i < columns.Length; i++)
        {
            _json.WritePropertyName(_names[i]);
            WriteJsonValue(_json, batch, row, i, columns[i].Kind);
        }
        _json.WriteEndObject();
        _json.Flush();
        Buffer.Write("\n"u8);
        _json.Reset(Buffer);
    }

    public override void End(long rowCount, bool truncated, long elapsedMs)
    {
    }
}
