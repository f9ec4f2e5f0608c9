using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Lakehouse.Query;

/// <summary>
/// JSON values written straight into the result buffer as UTF-8. Utf8JsonWriter was a third of a
/// JSON result's time: strings were escaped into a scratch array and copied again by WriteRawValue,
/// and each value paid for its state checks. Only nested values (lists, structs) still go through
/// System.Text.Json.
/// </summary>
internal sealed class JsonText(ArrayBufferWriter<byte> into)
{
    static readonly SearchValues<byte> NeedsEscape = SearchValues.Create([(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(b => (byte)b)]);

    // Relaxed escaping: this is JSON for clients, not text inside HTML, so quotes stay quotes.
    static readonly JsonWriterOptions Options = new() { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    readonly Utf8JsonWriter _nested = new(into, Options);

    public void Raw(ReadOnlySpan<byte> utf8) => into.Write(utf8);

    public void Byte(byte value)
    {
        into.GetSpan(1)[0] = value;
        into.Advance(1);
    }

    public void Number(long value)
    {
        value.TryFormat(into.GetSpan(20), out var written, default, CultureInfo.InvariantCulture);
        into.Advance(written);
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

    /// <summary>One value of a result row as JSON: numbers as numbers (also HUGEINT and DECIMAL), NaN and infinities as strings, dates ISO.</summary>
    public void Value(RowBatch batch, int row, int i, ResultColumn column)
    {
        if (batch.IsNull(i, row))
        {
            Raw("null"u8);
            return;
        }
        var span = into.GetSpan(IsoText.MaxLength + 2);
        int written;
        switch (column.Kind)
        {
            case ColumnKind.String:
                String(batch.String(i, row));
                return;
            case ColumnKind.Int64 or ColumnKind.Int32 or ColumnKind.Int16 or ColumnKind.SByte or ColumnKind.Byte or ColumnKind.UInt16 or ColumnKind.UInt32:
                batch.Long(i, row).TryFormat(span, out written, default, CultureInfo.InvariantCulture);
                break;
            case ColumnKind.UInt64: batch.Unsigned(i, row).TryFormat(span, out written, default, CultureInfo.InvariantCulture); break;
            case ColumnKind.Decimal: batch.Decimal(i, row).TryFormat(span, out written, default, CultureInfo.InvariantCulture); break;
            case ColumnKind.Boolean:
                var flag = batch.Boolean(i, row) ? "true"u8 : "false"u8;
                flag.CopyTo(span);
                written = flag.Length;
                break;
            case ColumnKind.Double or ColumnKind.Single:
                var number = batch.Double(i, row);
                // JSON has no NaN or Infinity: those few values travel as strings.
                var finite = double.IsFinite(number);
                if (!finite) span[0] = (byte)'"';
                var start = finite ? 0 : 1;
                if (column.Kind == ColumnKind.Single) ((float)number).TryFormat(span[start..], out written, "R", CultureInfo.InvariantCulture);
                else number.TryFormat(span[start..], out written, "R", CultureInfo.InvariantCulture);
                written += start;
                if (!finite) span[written++] = (byte)'"';
                break;
            case ColumnKind.Date:
                span[0] = (byte)'"';
                written = IsoText.Date(span[1..], batch.Long(i, row)) + 2;
                span[written - 1] = (byte)'"';
                break;
            case ColumnKind.Timestamp or ColumnKind.TimestampTz:
                span[0] = (byte)'"';
                written = IsoText.Timestamp(span[1..], batch.Long(i, row), column.UnitsPerSecond, column.Kind == ColumnKind.TimestampTz) + 2;
                span[written - 1] = (byte)'"';
                break;
            default:
                Other(batch.Other(i, row));
                return;
        }
        into.Advance(written);
    }

    void Other(object? value)
    {
        // HUGEINT (sum of BIGINT, for one) stays a number: JSON numbers have no size limit.
        if (value is BigInteger big)
        {
            Raw(System.Text.Encoding.UTF8.GetBytes(big.ToString(CultureInfo.InvariantCulture)));
            return;
        }
        _nested.Reset(into);
        JsonSerializer.Serialize(_nested, value);
        _nested.Flush();
    }
}
