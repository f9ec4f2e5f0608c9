using DuckDB.NET.Native;

namespace Lakehouse.Query;

/// <summary>
/// Runs the gate's prepared statement in streaming mode through DuckDB's C API and copies each
/// chunk's column vectors into batches column by column: a string's UTF-8 bytes are copied as they
/// are, numbers and dates as DuckDB holds them. DuckDB.NET's reader made a UTF-16 string and a typed
/// call per value, which held a JSON result near 400,000 rows/s; for results whose columns are all
/// scalars (<see cref="ResultColumn.Native"/>) this is the way rows are read.
/// </summary>
internal sealed unsafe class NativeRowSource : RowSource
{
    readonly DuckDBPreparedStatement _prepared;
    readonly ResultColumn[] _columns;
    DuckDBResult _result;
    DuckDBDataChunk? _chunk;
    int _next;
    int _size;
    bool _finished;

    NativeRowSource(DuckDBPreparedStatement prepared, ResultColumn[] columns, DuckDBResult result, long? maxRows)
        : base(maxRows)
    {
        _prepared = prepared;
        _columns = columns;
        _result = result;
    }

    /// <summary>Starts the statement; owns <paramref name="prepared"/> from here on. DuckDB's errors surface as <see cref="QueryFailedException"/>.</summary>
    public static NativeRowSource Start(DuckDBPreparedStatement prepared, ResultColumn[] columns, long? maxRows)
    {
        if (NativeMethods.PreparedStatements.DuckDBExecutePreparedStreaming(prepared, out var result) != DuckDBState.Success)
        {
            var error = NativeMethods.Query.DuckDBResultError(ref result);
            NativeMethods.Query.DuckDBDestroyResult(ref result);
            prepared.Dispose();
            throw new QueryFailedException(error);
        }
        return new NativeRowSource(prepared, columns, result, maxRows);
    }

    protected override bool MoreRows()
    {
        while (_next == _size && !_finished)
        {
            _chunk?.Dispose();
            _chunk = NativeMethods.Query.DuckDBFetchChunk(_result);
            _next = 0;
            _size = _chunk.IsInvalid ? 0 : (int)NativeMethods.DataChunks.DuckDBDataChunkGetSize(_chunk);
            if (_chunk.IsInvalid)
            {
                _finished = true;
                // No chunk means the end or a failure (an error, or an interrupt on time-out or hang-up).
                if (NativeMethods.Query.DuckDBResultError(ref _result) is { } error) throw new QueryFailedException(error);
            }
        }
        return _next < _size;
    }

    protected override int Read(RowBatch batch, int room)
    {
        var count = Math.Min(room, _size - _next);
        for (var column = 0; column < _columns.Length; column++)
        {
            var vector = NativeMethods.DataChunks.DuckDBDataChunkGetVector(_chunk!, column);
            Copy(_columns[column], column, vector, count, batch);
        }
        _next += count;
        batch.Count += count;
        return count;
    }

    /// <summary>Rows [_next, _next + count) of one column vector into slots [batch.Count, …) of the batch.</summary>
    void Copy(ResultColumn column, int index, IntPtr vector, int count, RowBatch batch)
    {
        var data = (byte*)NativeMethods.Vectors.DuckDBVectorGetData(vector);
        var validity = NativeMethods.Vectors.DuckDBVectorGetValidity(vector);
        var nulls = batch.Nulls(index).AsSpan(batch.Count, count);
        for (var row = 0; row < count; row++)
        {
            var source = _next + row;
            nulls[row] = validity != null && (validity[source >> 6] & (1UL << (source & 63))) == 0;
        }
        switch (column.Kind)
        {
            case ColumnKind.String:
                for (var row = 0; row < count; row++)
                {
                    if (!nulls[row]) batch.SetString(index, batch.Count + row, NativeApi.Utf8(data + ((_next + row) * 16L)));
                }
                return;
            case ColumnKind.Boolean:
                new ReadOnlySpan<bool>((bool*)data + _next, count).CopyTo(batch.Booleans(index).AsSpan(batch.Count));
                return;
            case ColumnKind.Double:
                new ReadOnlySpan<double>((double*)data + _next, count).CopyTo(batch.Doubles(index).AsSpan(batch.Count));
                return;
            case ColumnKind.Single:
                var doubles = batch.Doubles(index).AsSpan(batch.Count, count);
                for (var row = 0; row < count; row++) doubles[row] = ((float*)data)[_next + row];
                return;
            case ColumnKind.UInt64:
                new ReadOnlySpan<ulong>((ulong*)data + _next, count).CopyTo(batch.Unsigneds(index).AsSpan(batch.Count));
                return;
            case ColumnKind.HugeInt:
                var huge = batch.Others(index);
                for (var row = 0; row < count; row++)
                {
                    if (!nulls[row]) huge[batch.Count + row] = (System.Numerics.BigInteger)((Int128*)data)[_next + row];
                }
                return;
            case ColumnKind.Decimal:
                Span<long> unscaled = stackalloc long[count];
                Integers(column.Storage, data, unscaled);
                var decimals = batch.Decimals(index).AsSpan(batch.Count, count);
                for (var row = 0; row < count; row++) decimals[row] = Decimal(unscaled[row], (byte)column.Scale);
                return;
            default:
                // Every other native kind is an integer of some width: BIGINT and friends, DATE (days),
                // timestamps (units since the epoch).
                Integers(column.Storage, data, batch.Longs(index).AsSpan(batch.Count, count));
                return;
        }
    }

    void Integers(DuckDBType storage, byte* data, Span<long> into)
    {
        switch (storage)
        {
            case DuckDBType.TinyInt: Widen((sbyte*)data + _next, into); break;
            case DuckDBType.SmallInt: Widen((short*)data + _next, into); break;
            case DuckDBType.Integer or DuckDBType.Date: Widen((int*)data + _next, into); break;
            case DuckDBType.UnsignedTinyInt: Widen(data + _next, into); break;
            case DuckDBType.UnsignedSmallInt: Widen((ushort*)data + _next, into); break;
            case DuckDBType.UnsignedInteger: Widen((uint*)data + _next, into); break;
            default: new ReadOnlySpan<long>((long*)data + _next, into.Length).CopyTo(into); break;
        }
    }

    static void Widen<T>(T* from, Span<long> into)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        for (var i = 0; i < into.Length; i++) into[i] = long.CreateTruncating(from[i]);
    }

    static decimal Decimal(long unscaled, byte scale)
    {
        var magnitude = unscaled < 0 ? (ulong)-unscaled : (ulong)unscaled;
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, unscaled < 0, scale);
    }

    public override void Dispose()
    {
        _chunk?.Dispose();
        NativeMethods.Query.DuckDBDestroyResult(ref _result);
        _prepared.Dispose();
    }
}
