using System.Text;
using Lakehouse.Ingest;
using nietras.SeparatedValues;

namespace Lakehouse.Bench;

/// <summary>
/// Our scanner's work done on top of Sep 0.17.1, to measure whether the ingest path should adopt it
/// (issue 14): the same UTF-8 check, quote rules, field counts with line numbers, NULL against "" and
/// type inference of every value (the same <see cref="ValueTypes"/>, fed ASCII narrowed from Sep's
/// UTF-16). What Sep cannot give is noted where it falls short: its quotes open anywhere in a field,
/// so a quote inside an unquoted value is found from the field it produced, and it has no mode that
/// takes such quotes as text while still parsing quoted fields (our ?quotes=literal).
/// </summary>
internal static class SepStrictScan
{
    /// <summary>The column types and row count of a comma-separated file with a header; throws <see cref="CsvFormatException"/> as ours does.</summary>
    public static (IReadOnlyList<string> Types, long Rows) Scan(byte[] csv)
    {
        // Sep decodes invalid UTF-8 to U+FFFD without a word, so the bytes are checked first.
        if (!System.Text.Unicode.Utf8.IsValid(csv)) throw new CsvFormatException(LineOf(csv, FirstInvalidUtf8(csv)), "the file is not UTF-8 text.");
        using var reader = Sep.Reader(o => o with { Sep = new Sep(','), HasHeader = true, Unescape = false, DisableColCountCheck = true }).From(csv);
        var columns = reader.Header.ColNames.Count;
        var masks = Enumerable.Repeat(TypeMask.All, columns).ToArray();
        var sawValue = new bool[columns];
        long rows = 0;
        Span<byte> ascii = stackalloc byte[128];
        foreach (var row in reader)
        {
            // DuckDB skips blank lines when there are several columns; so does ours.
            if (row.ColCount == 1 && row[0].Span.IsEmpty && columns > 1) continue;
            if (row.ColCount != columns) throw new CsvFormatException(row.LineNumberFrom, $"expected {columns} fields as in the header, found {row.ColCount}.");
            for (var c = 0; c < columns; c++)
            {
                var raw = row[c].Span;
                var value = Unquoted(raw, c, row.LineNumberFrom, out var quoted);
                if (value.IsEmpty && !quoted) continue; // unquoted empty: NULL, fits any type
                sawValue[c] = true;
                if (masks[c] == TypeMask.None) continue;
                var status = Ascii.FromUtf16(value, ascii, out var written);
                masks[c] &= quoted && value.IsEmpty ? TypeMask.None
                    : status == System.Buffers.OperationStatus.Done ? ValueTypes.Of(ascii[..written])
                    : TypeMask.None; // not ASCII, or longer than any typed value: text
            }
            rows++;
        }
        return ([.. Enumerable.Range(0, columns).Select(c => ValueTypes.ColumnType(masks[c], sawValue[c]))], rows);
    }

    /// <summary>The value inside a raw field, refusing what ours refuses: text after a closing quote, a lone quote inside, a quote in an unquoted value.</summary>
    static ReadOnlySpan<char> Unquoted(ReadOnlySpan<char> raw, int column, int line, out bool quoted)
    {
        quoted = raw.Length > 0 && raw[0] == '"';
        if (!quoted)
        {
            // Sep opens a quote anywhere, so an unmatched one in an unquoted value has run on past a delimiter or
            // line break into a later field; a pair that stays within the field is text, as ours takes it.
            if (raw.Contains('"') && (raw.Count('"') % 2 == 1 || raw.IndexOfAny(',', '\n', '\r') >= 0))
                throw new CsvFormatException(line, $"field {column + 1} has an unmatched quote inside an unquoted value.");
            return raw;
        }
        var close = raw.LastIndexOf('"');
        if (close == 0) throw new CsvFormatException(line, "a quoted field is never closed (unterminated quote).");
        if (close != raw.Length - 1) throw new CsvFormatException(line, $"unexpected '{raw[close + 1]}' after the closing quote of field {column + 1}.");
        var inner = raw[1..close];
        for (var at = inner.IndexOf('"'); at >= 0; at = NextQuote(inner, at + 2))
        {
            if (at + 1 >= inner.Length || inner[at + 1] != '"') throw new CsvFormatException(line, $"unexpected '\"' inside quoted field {column + 1}; quotes inside a quoted field are written as \"\".");
        }
        return inner;
    }

    static int NextQuote(ReadOnlySpan<char> text, int from) => from >= text.Length ? -1 : text[from..].IndexOf('"') is var next and >= 0 ? from + next : -1;

    static int FirstInvalidUtf8(byte[] csv)
    {
        var at = 0;
        while (Rune.DecodeFromUtf8(csv.AsSpan(at), out _, out var length) == System.Buffers.OperationStatus.Done) at += length;
        return at;
    }

    static long LineOf(byte[] csv, int offset) => 1 + csv.AsSpan(0, offset).Count((byte)'\n');
}
