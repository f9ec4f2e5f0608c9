using DuckDB.NET.Data;

namespace Lakehouse.Query;

/// <summary>
/// Up to <see cref="Capacity"/> result rows copied out of DuckDB's reader into typed column arrays,
/// so that reading the next rows (one thread) and formatting these (another) overlap: reading and
/// formatting cost about the same per row, and done in turn they capped a JSON result at ~410k
/// rows/s even with nothing on the wire.
/// </summary>
internal sealed class RowBatch
{
    public const int Capacity = 1024;

    readonly ResultColumn[] _columns;
    readonly bool[][] _nulls;
    readonly long[]?[] _longs;
    readonly ulong[]?[] _unsigned;
    readonly double[]?[] _doubles;
    readonly decimal[]?[] _decimals;
    readonly bool[]?[] _booleans;
    readonly string?[]?[] _strings;
    readonly DateOnly[]?[] _dates;
    readonly DateTime[]?[] _times;
    readonly object?[]?[] _others;

    public RowBatch(ResultColumn[] columns)
    {
        _columns = columns;
        var n = columns.Length;
        _nulls = [.. Enumerable.Range(0, n).Select(_ => new bool[Capacity])];
        _longs = new long[]?[n];
        _unsigned = new ulong[]?[n];
        _doubles = new double[]?[n];
        _decimals = new decimal[]?[n];
        _booleans = new bool[]?[n];
        _strings = new string?[]?[n];
        _dates = new DateOnly[]?[n];
        _times = new DateTime[]?[n];
        _others = new object?[]?[n];
        for (var i = 0; i < n; i++)
        {
            switch (columns[i].Kind)
            {
                case ColumnKind.Int64 or ColumnKind.Int32 or ColumnKind.Int16 or ColumnKind.SByte or ColumnKind.Byte or ColumnKind.UInt16 or ColumnKind.UInt32:
                    _longs[i] = new long[Capacity];
                    break;
                case ColumnKind.UInt64: _unsigned[i] = new ulong[Capacity]; break;
                case ColumnKind.Double or ColumnKind.Single: _doubles[i] = new double[Capacity]; break;
                case ColumnKind.Decimal: _decimals[i] = new decimal[Capacity]; break;
                case ColumnKind.Boolean: _booleans[i] = new bool[Capacity]; break;
                case ColumnKind.String: _strings[i] = new string?[Capacity]; break;
                case ColumnKind.Date: _dates[i] = new DateOnly[Capacity]; break;
                case ColumnKind.Timestamp or ColumnKind.TimestampTz: _times[i] = new DateTime[Capacity]; break;
                default: _others[i] = new object?[Capacity]; break;
            }
        }
    }

    public int Count { get; set; }

    /// <summary>Copies the reader's current row into slot <see cref="Count"/> and advances it.</summary>
    public void Add(DuckDBDataReader reader)
    {
        var row = Count++;
        for (var i = 0; i < _columns.Length; i++)
        {
            if (_nulls[i][row] = reader.IsDBNull(i)) continue;
            switch (_columns[i].Kind)
            {
                case ColumnKind.Int64: _longs[i]![row] = reader.GetInt64(i); break;
                case ColumnKind.Int32: _longs[i]![row] = reader.GetInt32(i); break;
                case ColumnKind.Int16: _longs[i]![row] = reader.GetInt16(i); break;
                case ColumnKind.SByte: _longs[i]![row] = reader.GetFieldValue<sbyte>(i); break;
                case ColumnKind.Byte: _longs[i]![row] = reader.GetByte(i); break;
                case ColumnKind.UInt16: _longs[i]![row] = reader.GetFieldValue<ushort>(i); break;
                case ColumnKind.UInt32: _longs[i]![row] = reader.GetFieldValue<uint>(i); break;
                case ColumnKind.UInt64: _unsigned[i]![row] = reader.GetFieldValue<ulong>(i); break;
                case ColumnKind.Double: _doubles[i]![row] = reader.GetDouble(i); break;
                case ColumnKind.Single: _doubles[i]![row] = reader.GetFloat(i); break;
                case ColumnKind.Decimal: _decimals[i]![row] = reader.GetDecimal(i); break;
                case ColumnKind.Boolean: _booleans[i]![row] = reader.GetBoolean(i); break;
                case ColumnKind.String: _strings[i]![row] = reader.GetString(i); break;
                case ColumnKind.Date: _dates[i]![row] = reader.GetFieldValue<DateOnly>(i); break;
                case ColumnKind.Timestamp or ColumnKind.TimestampTz: _times[i]![row] = reader.GetDateTime(i); break;
                default:
                    // Read now (a BLOB's stream dies with the row); HUGEINT stays a number for the writers.
                    var value = reader.GetValue(i);
                    _others[i]![row] = value is System.Numerics.BigInteger ? value : ResultColumn.Portable(value);
                    break;
            }
        }
    }

    public bool IsNull(int column, int row) => _nulls[column][row];

    public long Long(int column, int row) => _longs[column]![row];

    public ulong Unsigned(int column, int row) => _unsigned[column]![row];

    public double Double(int column, int row) => _doubles[column]![row];

    public decimal Decimal(int column, int row) => _decimals[column]![row];

    public bool Boolean(int column, int row) => _booleans[column]![row];

    public string String(int column, int row) => _strings[column]![row]!;

    public DateOnly Date(int column, int row) => _dates[column]![row];

    public DateTime Time(int column, int row) => _times[column]![row];

    public object? Other(int column, int row) => _others[column]![row];

    /// <summary>Empties the batch for reuse, dropping its references to strings and objects.</summary>
    public void Clear()
    {
        for (var i = 0; i < _columns.Length; i++)
        {
            if (_strings[i] is { } strings) Array.Clear(strings, 0, Count);
            if (_others[i] is { } others) Array.Clear(others, 0, Count);
        }
        Count = 0;
    }
}
