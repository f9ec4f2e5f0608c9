using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace Lakehouse.Query;

/// <summary>
/// RFC 4180 CSV with a header row. NULL is an empty field and the empty string is "", the same
/// convention ingest reads, so a result round-trips.
/// </summary>
internal sealed class CsvResultWriter(PipeWriter output) : ResultWriter(output)
{
    static readonly SearchValues<byte> NeedsQuotes = SearchValues.Create(",\"\r\n"u8);

    public override void Begin(ResultColumn[] columns)
    {
        for (var i = 0; i < columns.Length; i++)
        {
            if (i > 0) Buffer.Write(","u8);
            WriteText(Encoding.UTF8.GetBytes(columns[i].Name));
        }
        Buffer.Write("\r\n"u8);
    }

    public override void Row(RowBatch batch, int row, ResultColumn[] columns)
    {
        for (var i = 0; i < columns.Length; i++)
        {
            if (i > 0) Buffer.Write(","u8);
            if (batch.IsNull(i, row)) continue;
            var column = columns[i];
            var span = Buffer.GetSpan(64);
            int written;
            switch (column.Kind)
            {
                case ColumnKind.String:
                    WriteText(batch.String(i, row));
                    continue;
                case ColumnKind.Json:
                    WriteText(JsonAsText(batch.String(i, row)));
                    continue;
                case ColumnKind.Int64 or ColumnKind.Int32 or ColumnKind.Int16 or ColumnKind.SByte or ColumnKind.Byte or ColumnKind.UInt16 or ColumnKind.UInt32:
                    batch.Long(i, row).TryFormat(span, out written, default, CultureInfo.InvariantCulture);
                    break;
                case ColumnKind.UInt64: batch.Unsigned(i, row).TryFormat(span, out written, default, CultureInfo.InvariantCulture); break;
                case ColumnKind.HugeInt: batch.Wide(i, row).TryFormat(span, out written, default, CultureInfo.InvariantCulture); break;
                case ColumnKind.Decimal: written = DecimalText.Write(span, batch.Wide(i, row), column.Type.Scale); break;
                case ColumnKind.Double: batch.Double(i, row).TryFormat(span, out written, "R", CultureInfo.InvariantCulture); break;
                case ColumnKind.Single: ((float)batch.Double(i, row)).TryFormat(span, out written, "R", CultureInfo.InvariantCulture); break;
                case ColumnKind.Boolean:
                    var flag = batch.Boolean(i, row) ? "true"u8 : "false"u8;
                    flag.CopyTo(span);
                    written = flag.Length;
                    break;
                case ColumnKind.Date: written = IsoText.Date(span, batch.Long(i, row)); break;
                default:
                    written = IsoText.Timestamp(span, batch.Long(i, row), column.Type.UnitsPerSecond, utc: column.Kind == ColumnKind.TimestampTz);
                    break;
            }
            Buffer.Advance(written);
        }
        Buffer.Write("\r\n"u8);
    }

    /// <summary>A rendered value as CSV text: a JSON string's own text (a UUID, an interval), anything else (lists, structs) its JSON.</summary>
    static ReadOnlySpan<byte> JsonAsText(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty || json[0] != (byte)'"') return json;
        var reader = new Utf8JsonReader(json);
        reader.Read();
        return Encoding.UTF8.GetBytes(reader.GetString()!);
    }

    void WriteText(ReadOnlySpan<byte> text)
    {
        if (text.Length > 0 && text.IndexOfAny(NeedsQuotes) < 0)
        {
            Buffer.Write(text);
            return;
        }
        Buffer.Write("\""u8);
        // Quotes are doubled piece by piece: no copy of the whole value.
        int quote;
        while ((quote = text.IndexOf((byte)'"')) >= 0)
        {
            Buffer.Write(text[..(quote + 1)]);
            Buffer.Write("\""u8);
            text = text[(quote + 1)..];
        }
        Buffer.Write(text);
        Buffer.Write("\""u8);
    }

    public override void End(long rowCount, bool truncated, long elapsedMs)
    {
    }
}
