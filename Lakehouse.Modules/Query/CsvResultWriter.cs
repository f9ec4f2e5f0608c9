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

    /// <summary>The most any non-text field takes (a timestamp with a far year, a DECIMAL(38)).</summary>
    static readonly int FieldMax = Math.Max(DecimalText.MaxLength, IsoText.MaxLength);

    public override void Begin(ResultColumn[] columns)
    {
        for (var i = 0; i < columns.Length; i++)
        {
            var name = Encoding.UTF8.GetBytes(columns[i].Name);
            var span = Buffer.GetSpan((2 * name.Length) + 3);
            var at = i > 0 ? 1 : 0;
            span[0] = (byte)',';
            Buffer.Advance(at + Text(span[at..], name));
        }
        Buffer.Write("\r\n"u8);
    }

    /// <summary>
    /// One row, written into a single reservation of the buffer sized for its worst case (every quote
    /// doubled): a reservation and an advance per field cost as much as the formatting.
    /// </summary>
    public override void Row(RowBatch batch, int row, ResultColumn[] columns)
    {
        var need = 2;
        for (var i = 0; i < columns.Length; i++)
        {
            need += 1 + (columns[i].Kind is ColumnKind.String or ColumnKind.Json or ColumnKind.JsonText && !batch.IsNull(i, row) ? (2 * batch.String(i, row).Length) + 2 : FieldMax);
        }
        var span = Buffer.GetSpan(need);
        var at = 0;
        for (var i = 0; i < columns.Length; i++)
        {
            if (i > 0) span[at++] = (byte)',';
            if (batch.IsNull(i, row)) continue;
            var column = columns[i];
            at += column.Kind switch
            {
                ColumnKind.String or ColumnKind.JsonText => Text(span[at..], batch.String(i, row)),
                ColumnKind.Json => Text(span[at..], JsonAsText(batch.String(i, row))), // never longer than its JSON
                _ => Format(span[at..], batch, row, i, column),
            };
        }
        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        Buffer.Advance(at);
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
    static int Text(Span<byte> into, ReadOnlySpan<byte> text)
    {
        if (text.Length > 0 && text.IndexOfAny(NeedsQuotes) < 0)
        {
            text.CopyTo(into);
            return text.Length;
        }
        var at = 0;
        into[at++] = (byte)'"';
        int quote;
        while ((quote = text.IndexOf((byte)'"')) >= 0)
        {
            text[..(quote + 1)].CopyTo(into[at..]);
            at += quote + 1;
            into[at++] = (byte)'"';
            text = text[(quote + 1)..];
        }
        text.CopyTo(into[at..]);
        at += text.Length;
        into[at++] = (byte)'"';
        return at;
    }

    public override void End(long rowCount, bool truncated, long elapsedMs)
    {
    }
}
