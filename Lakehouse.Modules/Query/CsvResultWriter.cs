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
        for (var i = 0; i < columns.Length; i++) WriteText(i > 0, Encoding.UTF8.GetBytes(columns[i].Name));
        Buffer.Write("\r\n"u8);
    }

    /// <summary>One row; each field is written with the comma before it in one reservation of the buffer.</summary>
    public override void Row(RowBatch batch, int row, ResultColumn[] columns)
    {
        for (var i = 0; i < columns.Length; i++)
        {
            var column = columns[i];
            var separated = i > 0;
            if (column.Kind == ColumnKind.String && !batch.IsNull(i, row))
            {
                WriteText(separated, batch.String(i, row));
                continue;
            }
            if (column.Kind == ColumnKind.Json && !batch.IsNull(i, row))
            {
                WriteText(separated, JsonAsText(batch.String(i, row)));
                continue;
            }
            var span = Buffer.GetSpan(DecimalText.MaxLength + IsoText.MaxLength);
            var start = separated ? 1 : 0;
            span[0] = (byte)',';
            Buffer.Advance(start + (batch.IsNull(i, row) ? 0 : Format(span[start..], batch, row, i, column)));
        }
        Buffer.Write("\r\n"u8);
    }

    static int Format(Span<byte> span, RowBatch batch, int row, int i, ResultColumn column)
    {
        int written;
        switch (column.Kind)
        {
            case ColumnKind.Integer:
                batch.Long(i, row).TryFormat(span, out written, default, CultureInfo.InvariantCulture);
                return written;
            case ColumnKind.UInt64: batch.Unsigned(i, row).TryFormat(span, out written, default, CultureInfo.InvariantCulture); return written;
            case ColumnKind.HugeInt: batch.Wide(i, row).TryFormat(span, out written, default, CultureInfo.InvariantCulture); return written;
            case ColumnKind.Decimal: return DecimalText.Write(span, batch.Wide(i, row), column.Type.Scale);
            case ColumnKind.Double: batch.Double(i, row).TryFormat(span, out written, "R", CultureInfo.InvariantCulture); return written;
            case ColumnKind.Single: ((float)batch.Double(i, row)).TryFormat(span, out written, "R", CultureInfo.InvariantCulture); return written;
            case ColumnKind.Boolean:
                var flag = batch.Boolean(i, row) ? "true"u8 : "false"u8;
                flag.CopyTo(span);
                return flag.Length;
            case ColumnKind.Date: return IsoText.Date(span, batch.Long(i, row));
            default: return IsoText.Timestamp(span, batch.Long(i, row), column.Type.UnitsPerSecond, utc: column.Kind == ColumnKind.TimestampTz);
        }
    }

    /// <summary>A rendered value as CSV text: a JSON string's own text (a UUID, an interval), anything else (lists, structs) its JSON.</summary>
    static ReadOnlySpan<byte> JsonAsText(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty || json[0] != (byte)'"') return json;
        var reader = new Utf8JsonReader(json);
        reader.Read();
        return Encoding.UTF8.GetBytes(reader.GetString()!);
    }

    /// <summary>A text field, quoted when it holds a comma, quote or line break, or is empty (so that "" is not NULL).</summary>
    void WriteText(bool separated, ReadOnlySpan<byte> text)
    {
        var plain = text.Length > 0 && text.IndexOfAny(NeedsQuotes) < 0;
        var span = Buffer.GetSpan(plain ? text.Length + 1 : (2 * text.Length) + 3);
        var length = 0;
        if (separated) span[length++] = (byte)',';
        if (plain)
        {
            text.CopyTo(span[length..]);
            Buffer.Advance(length + text.Length);
            return;
        }
        span[length++] = (byte)'"';
        int quote;
        while ((quote = text.IndexOf((byte)'"')) >= 0)
        {
            text[..(quote + 1)].CopyTo(span[length..]);
            length += quote + 1;
            span[length++] = (byte)'"';
            text = text[(quote + 1)..];
        }
        text.CopyTo(span[length..]);
        length += text.Length;
        span[length++] = (byte)'"';
        Buffer.Advance(length);
    }

    public override void End(long rowCount, bool truncated, long elapsedMs)
    {
    }
}
