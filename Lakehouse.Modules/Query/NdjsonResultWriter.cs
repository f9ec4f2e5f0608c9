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
    public override void Begin(ResultColumn[] columns) => _keys = [.. UniqueNames(columns).Select((name, i) =>
    {
        var key = new System.Buffers.ArrayBufferWriter<byte>();
        new JsonText(key).String(Encoding.UTF8.GetBytes(name));
        return (byte[])[.. i == 0 ? "{"u8 : ","u8, .. key.WrittenSpan, .. ":"u8];
    })];

    /// <summary>
    /// The columns' names as keys no row repeats: SQL allows <c>SELECT 1 AS a, 2 AS a</c>, and an object
    /// with "a" twice loses one value in most parsers. A repeated name (compared as DuckDB compares
    /// names, ignoring case) gains the first free suffix _1, _2, …, as DuckDB names the columns of
    /// <c>SELECT * FROM (…)</c>: a, a_1, a_2, A_3.
    /// </summary>
    static string[] UniqueNames(ResultColumn[] columns)
    {
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new string[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            var name = columns[i].Name;
            for (var suffix = 1; !taken.Add(name); suffix++) name = $"{columns[i].Name}_{suffix}";
            names[i] = name;
        }
        return names;
    }

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
