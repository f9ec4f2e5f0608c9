using System.Text;
using DuckDB.NET.Data;

namespace Lakehouse.Query;

/// <summary>
/// Rows read with DuckDB.NET's reader, value by value: the way for results with a column that is not
/// a plain scalar (lists, structs, maps, blobs, intervals, …), which DuckDB.NET turns into .NET values.
/// </summary>
internal sealed class ReaderRowSource : RowSource
{
    static readonly int UnixEpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    readonly DuckDBCommand _command;
    readonly DuckDBDataReader _reader;
    readonly ResultColumn[] _columns;
    bool? _hasRow;

    ReaderRowSource(DuckDBCommand command, DuckDBDataReader reader, ResultColumn[] columns, long? maxRows)
        : base(maxRows)
    {
        _command = command;
        _reader = reader;
        _columns = columns;
    }

    public static ReaderRowSource Start(DuckDBConnection connection, string sql, ResultColumn[] columns, long? maxRows)
    {
        var command = connection.CreateCommand();
        try
        {
            command.CommandText = sql;
            command.UseStreamingMode = true;
            return new ReaderRowSource(command, (DuckDBDataReader)command.ExecuteReader(), columns, maxRows);
        }
        catch
        {
            command.Dispose();
            throw;
        }
    }

    protected override bool MoreRows() => _hasRow ??= _reader.Read();

    protected override int Read(RowBatch batch, int room)
    {
        var row = batch.Count;
        for (var i = 0; i < _columns.Length; i++)
        {
            if (batch.Nulls(i)[row] = _reader.IsDBNull(i)) continue;
            var column = _columns[i];
            switch (column.Kind)
            {
                case ColumnKind.Int64: batch.Longs(i)[row] = _reader.GetInt64(i); break;
                case ColumnKind.Int32: batch.Longs(i)[row] = _reader.GetInt32(i); break;
                case ColumnKind.Int16: batch.Longs(i)[row] = _reader.GetInt16(i); break;
                case ColumnKind.SByte: batch.Longs(i)[row] = _reader.GetFieldValue<sbyte>(i); break;
                case ColumnKind.Byte: batch.Longs(i)[row] = _reader.GetByte(i); break;
                case ColumnKind.UInt16: batch.Longs(i)[row] = _reader.GetFieldValue<ushort>(i); break;
                case ColumnKind.UInt32: batch.Longs(i)[row] = _reader.GetFieldValue<uint>(i); break;
                case ColumnKind.UInt64: batch.Unsigneds(i)[row] = _reader.GetFieldValue<ulong>(i); break;
                case ColumnKind.Double: batch.Doubles(i)[row] = _reader.GetDouble(i); break;
                case ColumnKind.Single: batch.Doubles(i)[row] = _reader.GetFloat(i); break;
                case ColumnKind.Decimal: batch.Decimals(i)[row] = _reader.GetDecimal(i); break;
                case ColumnKind.Boolean: batch.Booleans(i)[row] = _reader.GetBoolean(i); break;
                case ColumnKind.String: batch.SetString(i, row, Encoding.UTF8.GetBytes(_reader.GetString(i))); break;
                case ColumnKind.Date: batch.Longs(i)[row] = _reader.GetFieldValue<DateOnly>(i).DayNumber - UnixEpochDay; break;
                case ColumnKind.Timestamp or ColumnKind.TimestampTz:
                    // Back to DuckDB's own count of the column's unit (all units are powers of ten of a tick or a whole number of ticks).
                    var ticks = _reader.GetDateTime(i).Ticks - DateTime.UnixEpoch.Ticks;
                    batch.Longs(i)[row] = column.UnitsPerSecond >= TimeSpan.TicksPerSecond
                        ? ticks * (column.UnitsPerSecond / TimeSpan.TicksPerSecond)
                        : ticks / (TimeSpan.TicksPerSecond / column.UnitsPerSecond);
                    break;
                default:
                    // Read now (a BLOB's stream dies with the row); HUGEINT stays a number for the writers.
                    var value = _reader.GetValue(i);
                    batch.Others(i)[row] = value is System.Numerics.BigInteger ? value : ResultColumn.Portable(value);
                    break;
            }
        }
        batch.Count++;
        _hasRow = null;
        return 1;
    }

    public override void Dispose()
    {
        _reader.Dispose();
        _command.Dispose();
    }
}
