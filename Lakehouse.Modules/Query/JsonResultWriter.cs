using System.IO.Pipelines;
using System.Text.Json;

namespace Lakehouse.Query;

/// <summary>{"columns":[…],"rows":[[…],…],"row_count":N,"truncated":bool,"elapsed_ms":N}, rows streamed.</summary>
internal sealed class JsonResultWriter : ResultWriter
{
    readonly Utf8JsonWriter _json;

    public JsonResultWriter(PipeWriter output)
        : base(output) => _json = new Utf8JsonWriter(Buffer, JsonOptions);

    public override long Pending => _json.BytesPending + Buffer.WrittenCount;

    public override void Begin(ResultColumn[] columns)
    {
        _json.WriteStartObject();
        _json.WriteStartArray("columns");
        foreach (var column in columns)
        {
            _json.WriteStartObject();
            _json.WriteString("name", column.Name);
            _json.WriteString("type", column.Type);
            _json.WriteEndObject();
        }
        _json.WriteEndArray();
        _json.WriteStartArray("rows");
    }

    public override void Row(RowBatch batch, int row, ResultColumn[] columns)
    {
        _json.WriteStartArray();
        for (var i = 0; i < columns.Length; i++) WriteJsonValue(_json, batch, row, i, columns[i].Kind);
        _json.WriteEndArray();
    }

    public override void End(long rowCount, bool truncated, long elapsedMs)
    {
        _json.WriteEndArray();
        _json.WriteNumber("row_count", rowCount);
        _json.WriteBoolean("truncated", truncated);
        _json.WriteNumber("elapsed_ms", elapsedMs);
        _json.WriteEndObject();
    }

    public override ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        _json.Flush();
        return base.FlushAsync(cancellationToken);
    }
}
