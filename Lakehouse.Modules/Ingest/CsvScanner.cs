using System.Buffers;
using System.Text;

namespace Lakehouse.Ingest;

/// <summary>A CSV that breaks RFC 4180 or our limits; <see cref="Line"/> is the physical line (1-based) where it shows.</summary>
internal sealed class CsvFormatException(long line, string message) : Exception($"CSV line {line}: {message}")
{
    public long Line { get; } = line;
}

/// <summary>
/// The shape of a whole CSV file: column names, one inferred type per column, whether each column
/// holds any non-NULL value at all, the number of data rows, and the delimiter it was read with.
/// </summary>
/// <param name="SkippedBytes">Where in the file the lines skipped before the header are (?skip=N), as byte offsets.</param>
internal sealed record CsvShape(IReadOnlyList<string> Names, IReadOnlyList<string> Types, IReadOnlyList<bool> HasValues, long Rows, int LongestRecordBytes, byte Delimiter,
    IReadOnlyList<ColumnRename> Renamed, (int From, int To) SkippedBytes);

/// <summary>
/// One pass over a CSV as its bytes arrive (it runs while the upload is still being received):
/// checks the RFC 4180 structure — quoting, "" escapes, CRLF or LF, equal field counts — naming the
/// line of any fault, and infers every column's type from every value, not a sample. Fields are
/// found with vectorised searches; a column is classified only until it has become text. Ours rather
/// than Sep: a Sep-based scan with the same checks and inference was nowhere faster (0.53–1.2× of
/// this one's speed by file shape and run) and could not offer ?quotes=literal (docs/dependencies.md,
/// Lakehouse.Bench/SepStrictScan.cs).
/// </summary>
internal sealed class CsvScanner
{
    public const int MaxRecordBytes = 32 * 1024 * 1024;

    readonly bool _header;
    byte _delimiter;
    SearchValues<byte>? _fieldEnd;
    // Grows to what the upload's chunks need (Feed). Starting at the chunk size (4 MiB) gave every small
    // ingest a zeroed large-object allocation (0.1 ms), and 300 such allocations in a scratch program
    // ~145 gen2 collections, with the workstation and the server GC alike.
    byte[] _buffer = new byte[64 * 1024];
    int _length;
    bool _started;
    long _line = 1;
    long _rows;
    List<string>? _names;
    readonly List<ColumnRename> _renamed = [];
    TypeMask[] _masks = [];
    bool[] _sawValue = [];
    int _columns = -1;
    int _longestRecord;

    readonly bool _literalQuotes;
    readonly int _skipLines;
    (int From, int To) _skipped;
    readonly CsvValues? _values;

    /// <param name="delimiter">The field delimiter, or null to detect it from the file's start (<see cref="DelimiterDetector"/>).</param>
    /// <param name="literalQuotes">Take a quote inside an unquoted field as text (heights written 5'10") instead of refusing the file.</param>
    /// <param name="skipLines">Lines before the header (a title, an export note) that are not part of the table.</param>
    /// <param name="values">Where to keep the values as they are read, when the file may be small enough to write without DuckDB.</param>
    public CsvScanner(byte? delimiter, bool header, bool literalQuotes = false, int skipLines = 0, CsvValues? values = null)
    {
        _header = header;
        _values = values;
        _literalQuotes = literalQuotes;
        _skipLines = skipLines;
        if (delimiter is { } given) UseDelimiter(given);
    }

    void UseDelimiter(byte delimiter)
    {
        _delimiter = delimiter;
        _fieldEnd = SearchValues.Create(delimiter, (byte)'\n', (byte)'\r');
    }

    /// <summary>Scans the next bytes of the file; records cut by the chunk's end wait for the next chunk.</summary>
    public void Feed(ReadOnlySpan<byte> chunk)
    {
        if (_length + chunk.Length > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + chunk.Length));
        chunk.CopyTo(_buffer.AsSpan(_length));
        _length += chunk.Length;
        Scan(final: false);
    }

    /// <summary>Scans what is left at the end of the file and returns its shape.</summary>
    public CsvShape Finish()
    {
        Scan(final: true);
        if (_columns < 0) throw new CsvFormatException(1, "the body is empty; send a CSV with a header row and at least one data row.");
        if (_rows == 0) throw new CsvFormatException(_line, "the CSV has a header but no data rows.");
        var types = Enumerable.Range(0, _columns).Select(c => ValueTypes.ColumnType(_masks[c], _sawValue[c])).ToList();
        return new CsvShape(_names!, types, [.. _sawValue.Take(_columns)], _rows, _longestRecord, _delimiter, _renamed, _skipped);
    }

    void Scan(bool final)
    {
        var data = _buffer.AsSpan(0, _length);
        var position = 0;
        if (!_started)
        {
            if (data.Length < (_fieldEnd is null ? DelimiterDetector.SampleBytes : 3) && !final) return;
            if (data.StartsWith("\uFEFF"u8)) position = 3;
            // Skipped lines are raw lines, as DuckDB's skip counts them: no quoting applies to them.
            for (var skipped = 0; skipped < _skipLines; skipped++)
            {
                var end = data[position..].IndexOf((byte)'\n');
                if (end < 0 && !final) return;
                if (end < 0) throw new CsvFormatException(_line, $"the file has only {skipped} lines, and skip={_skipLines} skips them all.");
                position += end + 1;
            }
            _line += _skipLines;
            _skipped = (data.StartsWith("\uFEFF"u8) ? 3 : 0, position);
            if (_fieldEnd is null) UseDelimiter(DelimiterDetector.Detect(data[position..], whole: final));
            _started = true;
        }
        var scannedFrom = position;
        var scannedFromLine = _line;
        while (position < data.Length)
        {
            var recordStart = position;
            var recordLine = _line;
            if (!TryRecord(data, ref position, final))
            {
                position = recordStart;
                _line = recordLine;
                if (data.Length - recordStart > MaxRecordBytes)
                {
                    throw new CsvFormatException(recordLine, $"a record is longer than {MaxRecordBytes / (1024 * 1024)} MiB (an unterminated quote?).");
                }
                break;
            }
            _longestRecord = Math.Max(_longestRecord, position - recordStart);
        }
        // Whole records only, so no character is cut; one vectorised check per chunk.
        if (!System.Text.Unicode.Utf8.IsValid(data[scannedFrom..position])) throw NotUtf8(data[scannedFrom..position], scannedFromLine);
        data[position..].CopyTo(_buffer);
        _length = data.Length - position;
    }

    /// <summary>
    /// Where text that is not UTF-8 starts. DuckDB would refuse it with no more than a line number,
    /// and the usual cause is an export in Latin-1 or Windows-1252 (Excel's plain "CSV").
    /// </summary>
    static CsvFormatException NotUtf8(ReadOnlySpan<byte> records, long firstLine)
    {
        var at = 0;
        while (Rune.DecodeFromUtf8(records[at..], out _, out var length) == System.Buffers.OperationStatus.Done) at += length;
        var line = firstLine + records[..at].Count((byte)'\n');
        return new CsvFormatException(line, $"byte 0x{records[at]:X2} is not UTF-8 text. Send UTF-8 (Excel: \"CSV UTF-8\"), or declare the file's charset: Content-Type: text/csv; charset=windows-1252.");
    }

    /// <summary>Parses one record at <paramref name="position"/>; false when the data ends inside it and more may come.</summary>
    bool TryRecord(ReadOnlySpan<byte> data, ref int position, bool final)
    {
        var recordLine = _line;
        var field = 0;
        List<string>? headerNames = _columns < 0 && _header ? [] : null;
        var blankLine = data[position] is (byte)'\n' or (byte)'\r';
        while (true)
        {
            ReadOnlySpan<byte> value;
            var quoted = data[position] == '"';
            var escapedQuotes = false;
            if (quoted)
            {
                var fieldLine = _line;
                var close = position + 1;
                while (true)
                {
                    var next = data[close..].IndexOf((byte)'"');
                    if (next < 0)
                    {
                        if (final) throw new CsvFormatException(fieldLine, "a quoted field is never closed (unterminated quote).");
                        return false;
                    }
                    close += next;
                    if (close + 1 < data.Length && data[close + 1] == '"')
                    {
                        escapedQuotes = true;
                        close += 2;
                        continue;
                    }
                    if (close + 1 == data.Length && !final) return false; // "" may continue in the next chunk
                    break;
                }
                value = data[(position + 1)..close];
                _line += value.Count((byte)'\n');
                position = close + 1;
                if (position < data.Length && data[position] != _delimiter && data[position] is not ((byte)'\n' or (byte)'\r'))
                {
                    throw new CsvFormatException(_line, $"unexpected '{(char)data[position]}' after the closing quote of field {field + 1}; quotes inside a quoted field are written as \"\".");
                }
            }
            else
            {
                var end = data[position..].IndexOfAny(_fieldEnd!);
                if (end < 0)
                {
                    if (!final) return false;
                    end = data.Length - position;
                }
                value = data.Slice(position, end);
                // RFC 4180 has no quote inside an unquoted field. Taken as text, an unmatched one lets a row
                // whose separator is missing regain its field count from a later field that closes it
                // ($34.14"Kids' Sweater Fleece, Hooded"), and be stored shifted: refuse it. Quotes that pair
                // up within the field (coordinates 37°36'37.8"N 121°2'17.9"W) cannot span a delimiter.
                if (!_literalQuotes && value.Count((byte)'"') % 2 == 1)
                {
                    throw new CsvFormatException(_line, $"field {field + 1} has an unmatched quote inside an unquoted value (at its character {value.IndexOf((byte)'"') + 1}), which a CSV reader cannot read unambiguously. Quote the whole field and double the quote (\"5'10\"\"\"), or send ?quotes=literal to take such quotes as text.");
                }
                position += end;
            }

            if (headerNames is not null) headerNames.Add(HeaderName(value, escapedQuotes));
            else if (_columns < 0) FirstRowColumn(field, value, quoted, escapedQuotes);
            else if (field < _columns) Observe(field, value, quoted, escapedQuotes);
            field++;

            if (position == data.Length)
            {
                if (!final) return false;
                break; // the last record has no line break
            }
            var separator = data[position];
            if (separator == _delimiter)
            {
                position++;
                if (position == data.Length && !final) return false;
                if (position == data.Length) field++; // "a,b," at the very end: an empty last field
                else continue;
                break;
            }
            if (separator == '\r')
            {
                if (position + 1 == data.Length && !final) return false;
                position += position + 1 < data.Length && data[position + 1] == '\n' ? 2 : 1;
            }
            else
            {
                position++;
            }
            _line++;
            break;
        }
        EndRecord(recordLine, field, headerNames, blankLine);
        return true;
    }

    void EndRecord(long line, int fields, List<string>? headerNames, bool blankLine)
    {
        if (headerNames is not null)
        {
            StartColumns(headerNames);
            return;
        }
        if (_columns < 0)
        {
            // No header: the first record fixes the column count; its values were observed already. The
            // columns are counted from 1 as people count them (column1, column2 …); only an empty name
            // in a header is numbered from 0 by position, as DuckDB numbers it.
            _names = [.. Enumerable.Range(1, fields).Select(i => $"column{i}")];
            _columns = fields;
            _rows++;
            _values?.EndRecord(counted: true, _columns);
            return;
        }
        // DuckDB skips blank lines when there are several columns, and reads them as NULL when there is one.
        if (blankLine && fields == 1 && _columns > 1)
        {
            _values?.EndRecord(counted: false, _columns);
            return;
        }
        if (fields != _columns)
        {
            throw new CsvFormatException(line, $"expected {_columns} fields as in the header, found {fields}.");
        }
        _rows++;
        _values?.EndRecord(counted: true, _columns);
    }

    /// <summary>
    /// The header's names, made usable as DuckDB does: an empty name becomes column{N} by position, a
    /// repeat (ignoring case: SQL identifiers do) name_1, name_2 … Real files have both (an index
    /// column, a trailing comma; 40 of 600 in one public collection), and pandas and DuckDB read them.
    /// </summary>
    void StartColumns(List<string> header)
    {
        var names = new List<string>(header.Count);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var nextSuffix = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.Count; i++)
        {
            // Names reach DuckDB inside SQL text, which a NUL would end early (found by generated input: a 500).
            if (header[i].Contains('\0', StringComparison.Ordinal)) throw new CsvFormatException(1, $"header field {i + 1} holds a NUL character, which no column name can.");
            var name = header[i].Length == 0 ? $"column{i}" : header[i];
            var unique = name;
            if (seen.Contains(unique))
            {
                var suffix = nextSuffix.GetValueOrDefault(name, 1);
                do
                {
                    unique = $"{name}_{suffix++}";
                }
                while (seen.Contains(unique));
                nextSuffix[name] = suffix;
            }
            seen.Add(unique);
            names.Add(unique);
            if (unique != header[i]) _renamed.Add(new ColumnRename(i, header[i], unique));
        }
        _names = names;
        StartTypes(names.Count);
    }

    void StartTypes(int count)
    {
        _columns = count;
        _masks = Enumerable.Repeat(TypeMask.All, count).ToArray();
        _sawValue = new bool[count];
    }

    void FirstRowColumn(int field, ReadOnlySpan<byte> value, bool quoted, bool escapedQuotes)
    {
        if (field >= _masks.Length)
        {
            Array.Resize(ref _masks, field + 1);
            Array.Resize(ref _sawValue, field + 1);
            _masks[field] = TypeMask.All;
        }
        Observe(field, value, quoted, escapedQuotes);
    }

    void Observe(int column, ReadOnlySpan<byte> value, bool quoted, bool escapedQuotes)
    {
        _values?.Add(column, value, quoted, escapedQuotes);
        if (value.IsEmpty && !quoted) return; // unquoted empty: NULL, fits any type
        _sawValue[column] = true;
        var mask = _masks[column];
        if (mask == TypeMask.None) return; // already text
        // A quoted "" is an empty string, which only text can hold; escaped quotes only text too.
        _masks[column] = mask & (quoted && value.IsEmpty ? TypeMask.None : ValueTypes.Of(value));
    }

    static string HeaderName(ReadOnlySpan<byte> value, bool escapedQuotes)
    {
        var name = Encoding.UTF8.GetString(value);
        if (escapedQuotes) name = name.Replace("\"\"", "\"", StringComparison.Ordinal);
        return name;
    }
}
