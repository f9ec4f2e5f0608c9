using System.Buffers;
using DuckDB.NET.Native;

namespace Lakehouse.Query;

/// <summary>
/// A running query's rows: the gate's prepared statement run in streaming mode through DuckDB's C
/// API, each chunk's column vectors copied into batches column by column — a string's UTF-8 bytes as
/// they are, numbers, dates and timestamps as DuckDB holds them, nested and rarer values rendered to
/// JSON text. DuckDB.NET's reader made a UTF-16 string and a typed call per value (and .NET values
/// that cannot hold every DuckDB value), which held a JSON result near 400,000 rows/s. max_rows is
/// applied here: the result is truncated only when a row past the limit exists.
/// </summary>
internal sealed unsafe class RowSource : IDisposable
{
    readonly DuckDBPreparedStatement _prepared;
    readonly long? _maxRows;
    /// <summary>About how much text one batch may hold.</summary>
    const long TextBudget = 16 << 20;

    readonly ArrayBufferWriter<byte> _scratch = new();
    readonly int[] _textColumns;
    readonly int[] _jsonColumns;
    readonly JsonText _json;
    DuckDBResult _result;
    DuckDBDataChunk? _chunk;
    int _next;
    int _size;
    bool _finished;
    long _taken;
    bool _stopped;

    RowSource(DuckDBPreparedStatement prepared, ResultColumn[] columns, DuckDBResult result, long? maxRows)
    {
        _prepared = prepared;
        Columns = columns;
        _textColumns = [.. Enumerable.Range(0, columns.Length).Where(c => columns[c].Kind is ColumnKind.String or ColumnKind.JsonText)];
        _jsonColumns = [.. Enumerable.Range(0, columns.Length).Where(c => columns[c].Kind is ColumnKind.Json)];
        _result = result;
        _maxRows = maxRows;
        _json = new JsonText(_scratch);
    }

    /// <summary>Starts the statement, which it owns from here on; DuckDB's errors surface as <see cref="QueryFailedException"/>.</summary>
    public static RowSource Start(DuckDBPreparedStatement prepared, long? maxRows)
    {
        try
        {
            var columns = ResultColumn.Of(prepared);
            if (NativeMethods.PreparedStatements.DuckDBExecutePreparedStreaming(prepared, out var result) != DuckDBState.Success)
            {
                var error = NativeMethods.Query.DuckDBResultError(ref result);
                NativeMethods.Query.DuckDBDestroyResult(ref result);
                throw new QueryFailedException(error);
            }
            return new RowSource(prepared, columns, result, maxRows);
        }
        catch
        {
            prepared.Dispose();
            throw;
        }
    }

    public ResultColumn[] Columns { get; }

    public bool Truncated { get; private set; }

    /// <summary>Whether another row is there to take; may wait for DuckDB to produce it.</summary>
    public bool HasRow => !_stopped && MoreRows();

    public void Fill(RowBatch batch)
    {
        while (batch.Count < RowBatch.Capacity && HasRow)
        {
            if (_taken == _maxRows)
            {
                Truncated = true;
                _stopped = true;
                return;
            }
            var count = Math.Min(RowBatch.Capacity - batch.Count, _size - _next);
            if (_maxRows is { } limit) count = (int)Math.Min(count, limit - _taken);
            count = WithinTextBudget(count, batch);
            if (count == 0) return;
            batch.Reserve(batch.Count + count);
            count = RenderJsonWithinBudget(count, batch);
            if (count == 0) return;
            for (var column = 0; column < Columns.Length; column++)
            {
                if (Columns[column].Kind is ColumnKind.Json) continue; // rendered above
                Copy(Columns[column], column, NativeMethods.DataChunks.DuckDBDataChunkGetVector(_chunk!, column), count, batch);
            }
            _next += count;
            _taken += count;
            batch.Count += count;
        }
    }

    /// <summary>
    /// How many of the next <paramref name="count"/> rows fit the batch's text budget (at least one
    /// when the batch is empty): with 2,048 rows a batch and three batches in flight, rows of long
    /// strings would otherwise hold hundreds of megabytes, and memory must not grow with the result.
    /// </summary>
    int WithinTextBudget(int count, RowBatch batch)
    {
        if (_textColumns.Length == 0) return count;
        Span<nint> data = stackalloc nint[_textColumns.Length];
        Span<nint> validity = stackalloc nint[_textColumns.Length];
        for (var i = 0; i < _textColumns.Length; i++)
        {
            var vector = NativeMethods.DataChunks.DuckDBDataChunkGetVector(_chunk!, _textColumns[i]);
            data[i] = (nint)NativeMethods.Vectors.DuckDBVectorGetData(vector);
            validity[i] = (nint)NativeMethods.Vectors.DuckDBVectorGetValidity(vector);
        }
        var room = TextBudget - batch.TextBytes;
        for (var row = 0; row < count; row++)
        {
            var source = _next + row;
            for (var i = 0; i < data.Length; i++)
            {
                var valid = (ulong*)validity[i];
                if (valid != null && (valid[source >> 6] & (1UL << (source & 63))) == 0) continue;
                room -= *(uint*)((byte*)data[i] + (source * 16L)); // a duckdb_string_t starts with its length
            }
            if (room < 0) return row == 0 && batch.Count == 0 ? 1 : row;
        }
        return count;
    }

    /// <summary>
    /// Renders the nested and rarer columns (lists, structs, maps, BLOBs …) of up to <paramref name="count"/>
    /// rows, row by row, and stops at the row that takes the batch past its text budget (at least one
    /// row when the batch is empty): their size is only known once rendered, and a result of large
    /// lists held 2,048 rows of them per batch (a 300 MB list result peaked at 0.8 GB).
    /// </summary>
    int RenderJsonWithinBudget(int count, RowBatch batch)
    {
        if (_jsonColumns.Length == 0) return count;
        for (var row = 0; row < count; row++)
        {
            if (row > 0 && batch.TextBytes > TextBudget) return row;
            foreach (var column in _jsonColumns)
            {
                var vector = NativeMethods.DataChunks.DuckDBDataChunkGetVector(_chunk!, column);
                var validity = NativeMethods.Vectors.DuckDBVectorGetValidity(vector);
                var source = _next + row;
                var isNull = validity != null && (validity[source >> 6] & (1UL << (source & 63))) == 0;
                batch.Nulls(column)[batch.Count + row] = isNull;
                if (isNull) continue;
                _scratch.ResetWrittenCount();
                VectorJson.Write(_json, vector, Columns[column].Type, source);
                batch.SetString(column, batch.Count + row, _scratch.WrittenSpan);
            }
        }
        return count;
    }

    bool MoreRows()
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
            case ColumnKind.String or ColumnKind.JsonText:
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
            case ColumnKind.Decimal when column.Type.Storage == DuckDBType.HugeInt:
                new ReadOnlySpan<Int128>((Int128*)data + _next, count).CopyTo(batch.Huge(index).AsSpan(batch.Count));
                return;
            default:
                // Every other kind is an integer of some width: BIGINT and friends, a DECIMAL's unscaled
                // value, DATE (days), timestamps (units since the epoch).
                Integers(column.Type.Storage, data, batch.Longs(index).AsSpan(batch.Count, count));
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

    public void Dispose()
    {
        _chunk?.Dispose();
        NativeMethods.Query.DuckDBDestroyResult(ref _result);
        _prepared.Dispose();
    }
}
