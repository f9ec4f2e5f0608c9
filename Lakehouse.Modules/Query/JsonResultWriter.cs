using System.IO.Pipelines;
using System.Text;

namespace Lakehouse.Query;

/// <summary>{"columns":[…],"rows":[[…],…],"row_count":N,"truncated":bool,"elapsed_ms":N}, rows streamed.</summary>
internal sealed class JsonResultWriter : ResultWriter
{
    readonly JsonText _json;
    bool _anyRow;

    public JsonResultWriter(PipeWriter output)
        : base(output) => _json = new JsonText(Buffer);

    public override void Begin(ResultColumn[] columns)
    {
        _json.Raw("{\"columns\":["u8);
        for (var i = 0; i < columns.Length; i++)
        {
            _json.Raw(i == 0 ? "{\"name\":"u8 : ",{\"name\":"u8);
            _json.String(Encoding.UTF8.GetBytes(columns[i].Name));
            _json.Raw(",\"type\":"u8);
            _json.String(Encoding.UTF8.GetBytes(columns[i].Type.SqlName));
            _json.Byte((byte)'}');
        }
        _json.Raw("],\"rows\":["u8);
    }

    public override void Row(RowBatch batch, int row, ResultColumn[] columns)
    {
        _json.Raw(_anyRow ? ",["u8 : "["u8);
        _anyRow = true;
        for (var i = 0; i < columns.Length; i++)
        {
            if (i > 0) _json.Byte((byte)',');
            _json.Value(batch, row, i, columns[i]);
        }
        _json.Byte((byte)']');
    }

    public override void End(long rowCount, bool truncated, long elapsedMs)
    {
        _json.Raw("],\"row_count\":"u8);
        _json.Formatted(rowCount);
        _json.Raw(truncated ? ",\"truncated\":true,\"elapsed_ms\":"u8 : ",\"truncated\":false,\"elapsed_ms\":"u8);
        _json.Formatted(elapsedMs);
        _json.Byte((byte)'}');
    }
}
