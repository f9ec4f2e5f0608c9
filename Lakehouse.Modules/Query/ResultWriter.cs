using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace Lakehouse.Query;

/// <summary>
/// Writes a query result into the response batch by batch (see <see cref="RowBatch"/>), with the
/// value handling chosen once per column: memory stays flat however many rows there are. Rows are
/// formatted into a private 64 KiB buffer and handed to the response pipe a chunk at a time, because
/// every Advance on Kestrel's pipe takes a lock (many small writes made CSV 35% slower than JSON).
/// </summary>
internal abstract class ResultWriter(PipeWriter output)
{
    protected ArrayBufferWriter<byte> Buffer { get; } = new(96 * 1024);

    // Relaxed escaping: this is JSON for clients, not text inside HTML, so quotes stay quotes.
    protected static readonly JsonWriterOptions JsonOptions = new() { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    protected PipeWriter Output { get; } = output;

    public abstract void Begin(ResultColumn[] columns);

    public abstract void Row(RowBatch batch, int row, ResultColumn[] columns);

    public abstract void End(long rowCount, bool truncated, long elapsedMs);

    /// <summary>Bytes formatted since the last flush to the client.</summary>
    public virtual long Pending => Buffer.WrittenCount;

    public virtual async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        Output.Write(Buffer.WrittenSpan);
        Buffer.ResetWrittenCount();
        await Output.FlushAsync(cancellationToken);
    }

    public static ResultWriter For(ResultFormat format, PipeWriter output) => format switch
    {
        ResultFormat.Csv => new CsvResultWriter(output),
        ResultFormat.Ndjson => new NdjsonResultWriter(output),
        _ => new JsonResultWriter(output),
    };

    static readonly SearchValues<byte> NeedsEscape = SearchValues.Create([(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(b => (byte)b)]);

    /// <summary>
    /// Writes a string value with our own escaping: runs without '"', '\\' or control characters are
    /// found with a vectorised search and copied whole. The writer's encoder goes character by
    /// character from the first character it must escape, and the bench's notes (quotes, line
    /// breaks) made that the slowest part of a JSON result.
    /// </summary>
    static void WriteUtf8String(Utf8JsonWriter json, string value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        var source = ArrayPool<byte>.Shared.Rent(byteCount);
        var target = ArrayPool<byte>.Shared.Rent((byteCount * 6) + 2);
        try
        {
            var text = source.AsSpan(0, Encoding.UTF8.GetBytes(value, source));
            var length = 0;
            target[length++] = (byte)'"';
            while (true)
            {
                var special = text.IndexOfAny(NeedsEscape);
                var run = special < 0 ? text : text[..special];
                run.CopyTo(target.AsSpan(length));
                length += run.Length;
                if (special < 0) break;
                length += Escape(text[special], target.AsSpan(length));
                text = text[(special + 1)..];
            }
            target[length++] = (byte)'"';
            json.WriteRawValue(target.AsSpan(0, length), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(source);
            ArrayPool<byte>.Shared.Return(target);
        }
    }

    static int Escape(byte special, Span<byte> into)
    {
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
        into[0] = (byte)'\\';
        if (shortForm != 0)
        {
            into[1] = shortForm;
            return 2;
        }
        "u00"u8.CopyTo(into[1..]);
        into[4] = (byte)"0123456789abcdef"[special >> 4];
        into[5] = (byte)"0123456789abcdef"[special & 0xF];
        return 6;
    }

    protected static void WriteJsonValue(Utf8JsonWriter json, RowBatch batch, int row, int i, ColumnKind kind)
    {
        if (batch.IsNull(i, row))
        {
            json.WriteNullValue();
            return;
        }
        Span<byte> utf8 = stackalloc byte[IsoText.MaxLength];
        switch (kind)
        {
            case ColumnKind.Int64 or ColumnKind.Int32 or ColumnKind.Int16 or ColumnKind.SByte or ColumnKind.Byte or ColumnKind.UInt16 or ColumnKind.UInt32:
                json.WriteNumberValue(batch.Long(i, row));
                break;
            case ColumnKind.UInt64: json.WriteNumberValue(batch.Unsigned(i, row)); break;
            case ColumnKind.Decimal: json.WriteNumberValue(batch.Decimal(i, row)); break;
            case ColumnKind.Boolean: json.WriteBooleanValue(batch.Boolean(i, row)); break;
            case ColumnKind.String: WriteUtf8String(json, batch.String(i, row)); break;
            case ColumnKind.Double:
            case ColumnKind.Single:
                var number = batch.Double(i, row);
                // JSON has no NaN or Infinity: those few values travel as strings.
                if (double.IsFinite(number)) json.WriteNumberValue(kind == ColumnKind.Single ? (float)number : number);
                else json.WriteStringValue(number.ToString(CultureInfo.InvariantCulture));
                break;
            case ColumnKind.Date:
                json.WriteStringValue(utf8[..IsoText.Date(utf8, batch.Date(i, row))]);
                break;
            case ColumnKind.Timestamp:
            case ColumnKind.TimestampTz:
                json.WriteStringValue(utf8[..IsoText.Timestamp(utf8, batch.Time(i, row), kind == ColumnKind.TimestampTz)]);
                break;
            default:
                var value = batch.Other(i, row);
                // HUGEINT (sum of BIGINT, for one) stays a number: JSON numbers have no size limit.
                if (value is System.Numerics.BigInteger big) json.WriteRawValue(big.ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
                else JsonSerializer.Serialize(json, value);
                break;
        }
    }
}
