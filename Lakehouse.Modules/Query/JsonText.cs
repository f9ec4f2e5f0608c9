using System.Buffers;
using System.Globalization;

namespace Lakehouse.Query;

/// <summary>
/// JSON values written straight into a buffer as UTF-8. Utf8JsonWriter was a third of a JSON
/// result's time: strings were escaped into a scratch array and copied again by WriteRawValue, and
/// each value paid for its state checks.
/// </summary>
internal sealed class JsonText(ArrayBufferWriter<byte> into)
{
    static readonly SearchValues<byte> NeedsEscape = SearchValues.Create([(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(b => (byte)b)]);

    public void Raw(ReadOnlySpan<byte> utf8) => into.Write(utf8);

    public void Byte(byte value)
    {
        into.GetSpan(1)[0] = value;
        into.Advance(1);
    }

    /// <summary>
    /// A string value, escaped: runs without '"', '\\' or control characters are found with a
    /// vectorised search and copied whole (an encoder goes character by character after the first
    /// character it must escape, and text with quotes and line breaks is common).
    /// </summary>
    public void String(ReadOnlySpan<byte> utf8)
    {
        Byte((byte)'"');
        while (true)
        {
            var special = utf8.IndexOfAny(NeedsEscape);
            if (special < 0) break;
            into.Write(utf8[..special]);
            Escape(utf8[special]);
            utf8 = utf8[(special + 1)..];
        }
        into.Write(utf8);
        Byte((byte)'"');
    }

    void Escape(byte special)
    {
        var span = into.GetSpan(6);
        var shortForm = special switch
        {
            (byte)'"' => (byte)'"',
            (byte)'\\' => (byte)'\\',
            (byte)'\n' => (byte)'n',
            (byte)'\r' => (byte)'r',
            (byte)'\t' => (byte)'t',
            (byte)'\b' => (byte)'b',
            (byte)'\f' => (byte)'f',
            _ => (byte)0,
        };
        span[0] = (byte)'\\';
        if (shortForm != 0)
        {
            span[1] = shortForm;
            into.Advance(2);
            return;
        }
        "u00"u8.CopyTo(span[1..]);
        span[4] = (byte)"0123456789abcdef"[special >> 4];
        span[5] = (byte)"0123456789abcdef"[special & 0xF];
        into.Advance(6);
    }

    /// <summary>An integer of any width (up to 128 bits) as its digits.</summary>
    public void Formatted<T>(T value)
        where T : IUtf8SpanFormattable
    {
        var span = into.GetSpan(48);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        into.Advance(written);
    }

    /// <summary>A finite number as the shortest text that reads back the same; NaN and infinities as strings (JSON has neither).</summary>
    public void Double(double value, bool single)
    {
        var span = into.GetSpan(34);
        var finite = double.IsFinite(value);
        var start = finite ? 0 : 1;
        int written;
        if (single) ((float)value).TryFormat(span[start..], out written, "R", CultureInfo.InvariantCulture);
        else value.TryFormat(span[start..], out written, "R", CultureInfo.InvariantCulture);
        if (!finite)
        {
            span[0] = (byte)'"';
            span[++written] = (byte)'"';
            written++;
        }
        into.Advance(written);
    }

    public void Decimal(Int128 unscaled, int scale) => into.Advance(DecimalText.Write(into.GetSpan(DecimalText.MaxLength), unscaled, scale));

    public void Date(long days) => Quoted(IsoText.Date(Quote(), days));

    public void Timestamp(long value, long unitsPerSecond, bool utc) => Quoted(IsoText.Timestamp(Quote(), value, unitsPerSecond, utc));

    public void Time(long micros) => Quoted(IsoText.Time(Quote(), micros));

    public void Duration(int months, int days, long micros) => Quoted(IsoText.Duration(Quote(), months, days, micros));

    /// <summary>Room for ISO text after an opening quote; <see cref="Quoted"/> closes it.</summary>
    Span<byte> Quote()
    {
        var span = into.GetSpan(IsoText.MaxLength + 2);
        span[0] = (byte)'"';
        return span[1..];
    }

    void Quoted(int length)
    {
        var span = into.GetSpan(length + 2);
        span[length + 1] = (byte)'"';
        into.Advance(length + 2);
    }

    /// <summary>One value of a result row as JSON: numbers as numbers (HUGEINT and DECIMAL too), dates and times as ISO text.</summary>
    public void Value(RowBatch batch, int row, int i, ResultColumn column)
    {
        if (batch.IsNull(i, row))
        {
            Raw("null"u8);
            return;
        }
        switch (column.Kind)
        {
            case ColumnKind.String: String(batch.String(i, row)); break;
            case ColumnKind.Json or ColumnKind.JsonText: Raw(batch.String(i, row)); break;
            case ColumnKind.Integer: Formatted(batch.Long(i, row)); break;
            case ColumnKind.UInt64: Formatted(batch.Unsigned(i, row)); break;
            case ColumnKind.HugeInt: Formatted(batch.Wide(i, row)); break;
            case ColumnKind.Decimal: Decimal(batch.Wide(i, row), column.Type.Scale); break;
            case ColumnKind.Boolean: Raw(batch.Boolean(i, row) ? "true"u8 : "false"u8); break;
            case ColumnKind.Double or ColumnKind.Single: Double(batch.Double(i, row), column.Kind == ColumnKind.Single); break;
            case ColumnKind.Date: Date(batch.Long(i, row)); break;
            default: Timestamp(batch.Long(i, row), column.Type.UnitsPerSecond, column.Kind == ColumnKind.TimestampTz); break;
        }
    }
}
