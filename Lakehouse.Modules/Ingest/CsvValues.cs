using System.Buffers;

namespace Lakehouse.Ingest;

/// <summary>
/// The values of a small CSV, kept column by column as the scanner reads them (unquoted, "" made ",
/// an unquoted empty field NULL), so that <see cref="SmallParquetWriter"/> can write the file without
/// reading it again. Past <c>maxBytes</c> of values or <c>maxRows</c> rows it lets go of everything
/// and stays incomplete: a larger file goes the DuckDB way, whose set-up is the cost of small files only.
/// </summary>
internal sealed class CsvValues(int maxBytes, int maxRows)
{
    /// <summary>One column's values: bytes back to back, each value's end offset, and NULL flags.</summary>
    public sealed class Column
    {
        internal readonly ArrayBufferWriter<byte> Bytes = new(256);
        internal readonly List<int> Ends = [];
        internal readonly List<bool> Nulls = [];

        public int Count => Ends.Count;

        public bool IsNull(int row) => Nulls[row];

        public ReadOnlySpan<byte> this[int row] => Bytes.WrittenSpan[(row == 0 ? 0 : Ends[row - 1])..Ends[row]];

        internal void Add(ReadOnlySpan<byte> value, bool isNull, bool escapedQuotes)
        {
            // Inside quotes "" is one quote: write each piece up to and including its first quote.
            var rest = value;
            for (var pair = escapedQuotes ? rest.IndexOf("\"\""u8) : -1; pair >= 0; pair = rest.IndexOf("\"\""u8))
            {
                Bytes.Write(rest[..(pair + 1)]);
                rest = rest[(pair + 2)..];
            }
            Bytes.Write(rest);
            Ends.Add(Bytes.WrittenCount);
            Nulls.Add(isNull);
        }

        internal void Truncate(int rows)
        {
            if (Ends.Count <= rows) return;
            var keep = rows == 0 ? 0 : Ends[rows - 1];
            // A blank line, the one record taken back, holds a single empty value: no bytes to give back,
            // and no copy (one per blank line would be quadratic in a file of many).
            if (Bytes.WrittenCount != keep)
            {
                var kept = Bytes.WrittenSpan[..keep].ToArray();
                Bytes.ResetWrittenCount();
                Bytes.Write(kept);
            }
            Ends.RemoveRange(rows, Ends.Count - rows);
            Nulls.RemoveRange(rows, Nulls.Count - rows);
        }
    }

    readonly List<Column> _columns = [];
    long _bytes;
    bool _overflowed;

    /// <summary>Rows kept; valid only when <see cref="Complete"/>.</summary>
    public int Rows { get; private set; }

    /// <summary>True when every value of the file is here (it was small enough).</summary>
    public bool Complete => !_overflowed;

    public IReadOnlyList<Column> Columns => _columns;

    internal void Add(int column, ReadOnlySpan<byte> value, bool quoted, bool escapedQuotes)
    {
        if (_overflowed) return;
        _bytes += value.Length + 8;
        if (_bytes > maxBytes)
        {
            LetGo();
            return;
        }
        while (_columns.Count <= column) _columns.Add(new Column());
        _columns[column].Add(value, isNull: value.IsEmpty && !quoted, escapedQuotes);
    }

    /// <summary>
    /// Ends a record: a counted row of <paramref name="columns"/> fields is kept, and a field the scanner
    /// had no value for (the empty last one of "a,b," at the file's end) is NULL; a record the scanner
    /// skips (a blank line) is taken back.
    /// </summary>
    internal void EndRecord(bool counted, int columns)
    {
        if (_overflowed) return;
        if (!counted)
        {
            foreach (var column in _columns) column.Truncate(Rows);
            return;
        }
        if (++Rows > maxRows)
        {
            LetGo();
            return;
        }
        while (_columns.Count < columns) _columns.Add(new Column());
        foreach (var column in _columns)
        {
            if (column.Count < Rows) column.Add([], isNull: true, escapedQuotes: false);
        }
    }

    void LetGo()
    {
        _overflowed = true;
        _columns.Clear();
    }
}
