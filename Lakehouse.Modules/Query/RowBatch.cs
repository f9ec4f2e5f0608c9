namespace Lakehouse.Query;

/// <summary>
/// Up to <see cref="Capacity"/> result rows held column by column in typed arrays, strings as UTF-8
/// bytes, so that reading the next rows (one thread) and formatting these (another) overlap, and
/// no value becomes a .NET object on the way: a string goes from DuckDB's vector to the response
/// as the same bytes.
/// </summary>
internal sealed class RowBatch
{
    /// <summary>DuckDB's vector size: one chunk fills one batch.</summary>
    public const int Capacity = 2048;

    readonly ResultColumn[] _columns;
    readonly bool[][] _nulls;
    readonly long[]?[] _longs;
    readonly ulong[]?[] _unsigned;
    readonly double[]?[] _doubles;
    readonly Int128[]?[] _huge;
    readonly bool[]?[] _booleans;
    readonly Utf8Column?[] _strings;
    int _room;

    /// <summary>An empty batch with room for a few rows: <see cref="Reserve"/> makes more, up to <see cref="Capacity"/>.</summary>
    public RowBatch(ResultColumn[] columns)
    {
        var n = columns.Length;
        _columns = columns;
        _nulls = new bool[n][];
        _longs = new long[]?[n];
        _unsigned = new ulong[]?[n];
        _doubles = new double[]?[n];
        _huge = new Int128[]?[n];
        _booleans = new bool[]?[n];
        _strings = new Utf8Column?[n];
        for (var i = 0; i < n; i++)
        {
            if (columns[i].Kind is ColumnKind.String or ColumnKind.Json or ColumnKind.JsonText) _strings[i] = new Utf8Column();
        }
        Reserve(16);
    }

    /// <summary>
    /// Makes room for <paramref name="rows"/> rows, keeping those held. A batch is made per query and
    /// most results are a few rows, so its arrays grow with the rows put in it (2,048 rows of every
    /// column from the start was ~100 KB zeroed per query), and a reused batch keeps its room.
    /// </summary>
    public void Reserve(int rows)
    {
        if (rows <= _room) return;
        _room = Math.Min(Capacity, Math.Max(rows, 2 * _room));
        // DuckDB's own numbers: dates as days since 1970-01-01, timestamps as units since its midnight,
        // decimals unscaled.
        for (var i = 0; i < _columns.Length; i++)
        {
            Array.Resize(ref _nulls[i], _room);
            switch (_columns[i].Kind)
            {
                case ColumnKind.Decimal when _columns[i].Type.Storage == DuckDB.NET.Native.DuckDBType.HugeInt:
                case ColumnKind.HugeInt:
                    Array.Resize(ref _huge[i], _room);
                    break;
                case ColumnKind.Integer or ColumnKind.Date or ColumnKind.Timestamp or ColumnKind.TimestampTz or ColumnKind.Decimal:
                    Array.Resize(ref _longs[i], _room);
                    break;
                case ColumnKind.UInt64: Array.Resize(ref _unsigned[i], _room); break;
                case ColumnKind.Double or ColumnKind.Single: Array.Resize(ref _doubles[i], _room); break;
                case ColumnKind.Boolean: Array.Resize(ref _booleans[i], _room); break;
                case ColumnKind.String or ColumnKind.Json or ColumnKind.JsonText: _strings[i]!.Reserve(_room); break;
            }
        }
    }

    public int Count { get; set; }

    /// <summary>The bytes of text the batch holds.</summary>
    public long TextBytes => _strings.Sum(strings => strings?.Used ?? 0L);

    // Filling: a row source reserves room for Count + n rows, writes slots [Count, Count + n) column by
    // column, then raises Count.
    public bool[] Nulls(int column) => _nulls[column];

    public long[] Longs(int column) => _longs[column]!;

    public ulong[] Unsigneds(int column) => _unsigned[column]!;

    public double[] Doubles(int column) => _doubles[column]!;

    public Int128[] Huge(int column) => _huge[column]!;

    public bool[] Booleans(int column) => _booleans[column]!;

    public void SetString(int column, int row, ReadOnlySpan<byte> utf8) => _strings[column]!.Set(row, utf8);

    // Reading, for the writers.
    public bool IsNull(int column, int row) => _nulls[column][row];

    public long Long(int column, int row) => _longs[column]![row];

    public ulong Unsigned(int column, int row) => _unsigned[column]![row];

    public double Double(int column, int row) => _doubles[column]![row];

    /// <summary>A HUGEINT, or a DECIMAL's unscaled value whatever its width.</summary>
    public Int128 Wide(int column, int row) => _huge[column] is { } huge ? huge[row] : _longs[column]![row];

    public bool Boolean(int column, int row) => _booleans[column]![row];

    /// <summary>A VARCHAR's UTF-8 bytes, or a <see cref="ColumnKind.Json"/> value's JSON text.</summary>
    public ReadOnlySpan<byte> String(int column, int row) => _strings[column]!.Get(row);

    /// <summary>Empties the batch for reuse; string space is kept.</summary>
    public void Clear()
    {
        foreach (var strings in _strings) strings?.Clear();
        Count = 0;
    }

    /// <summary>
    /// A column's strings end to end in one growing byte array, with each row's start and length. The
    /// bytes start small, as the batch does, and double as needed.
    /// </summary>
    sealed class Utf8Column
    {
        int[] _starts = [];
        int[] _lengths = [];
        byte[] _bytes = new byte[1024];
        int _used;

        public void Reserve(int rows)
        {
            Array.Resize(ref _starts, rows);
            Array.Resize(ref _lengths, rows);
        }

        public void Set(int row, ReadOnlySpan<byte> utf8)
        {
            if (_used + utf8.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + utf8.Length));
            utf8.CopyTo(_bytes.AsSpan(_used));
            _starts[row] = _used;
            _lengths[row] = utf8.Length;
            _used += utf8.Length;
        }

        public ReadOnlySpan<byte> Get(int row) => _bytes.AsSpan(_starts[row], _lengths[row]);

        public int Used => _used;

        public void Clear() => _used = 0;
    }
}
