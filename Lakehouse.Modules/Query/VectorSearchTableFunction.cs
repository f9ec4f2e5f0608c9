using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using DuckDB.NET.Data;
using DuckDB.NET.Native;
using Lakehouse.Common;
using Lakehouse.Vectors;

namespace Lakehouse.Query;

/// <summary>
/// <c>vector_search</c> as a DuckDB table function, for calls whose arguments are constants
/// (<see cref="ConstantVectorSearchCalls"/> sends them here): the search runs when the query is bound
/// and its hits are the rows, with no JSON in between. DuckDB gives a table function neither a
/// subquery nor a lateral column as an argument, so the general form stays the macro of
/// <see cref="VectorSearchSql"/>. Written on DuckDB's C API rather than DuckDB.NET's table
/// functions because the metadata column must be of type JSON, which DuckDB.NET cannot declare.
/// </summary>
internal static unsafe class VectorSearchTableFunction
{
    public const string Name = "lakehouse_vector_search_constant";

    public static void Register(DuckDBConnection connection, IVectorService vectors)
    {
        var function = NativeMethods.TableFunction.DuckDBCreateTableFunction();
        try
        {
            NativeMethods.TableFunction.DuckDBTableFunctionSetName(function, Name);
            using (var varchar = NativeMethods.LogicalType.DuckDBCreateLogicalType(DuckDBType.Varchar))
            using (var bigint = NativeMethods.LogicalType.DuckDBCreateLogicalType(DuckDBType.BigInt))
            {
                NativeMethods.TableFunction.DuckDBTableFunctionAddParameter(function, varchar);
                NativeMethods.TableFunction.DuckDBTableFunctionAddParameter(function, varchar);
                NativeMethods.TableFunction.DuckDBTableFunctionAddParameter(function, bigint);
                NativeMethods.TableFunction.DuckDBTableFunctionAddNamedParameter(function, "ef", bigint);
                NativeMethods.TableFunction.DuckDBTableFunctionAddNamedParameter(function, "filter", varchar);
            }
            NativeMethods.TableFunction.DuckDBTableFunctionSetExtraInfo(function, GCHandle.ToIntPtr(GCHandle.Alloc(vectors)), &FreeHandle);
            NativeMethods.TableFunction.DuckDBTableFunctionSetBind(function, &Bind);
            NativeMethods.TableFunction.DuckDBTableFunctionSetInit(function, &Init);
            NativeMethods.TableFunction.DuckDBTableFunctionSetFunction(function, &Produce);
            if (NativeMethods.TableFunction.DuckDBRegisterTableFunction(connection.NativeConnection, function) != DuckDBState.Success)
            {
                throw new InvalidOperationException($"DuckDB did not register table function {Name}.");
            }
        }
        finally
        {
            NativeMethods.TableFunction.DuckDBDestroyTableFunction(ref function);
        }
    }

    /// <summary>The rows a query reads: the hits, and how many were written so far (per execution).</summary>
    sealed class Cursor(IReadOnlyList<SearchHit> hits)
    {
        public IReadOnlyList<SearchHit> Hits { get; } = hits;

        public int Next { get; set; }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static void Bind(IntPtr info)
    {
        try
        {
            var vectors = (IVectorService)GCHandle.FromIntPtr(NativeMethods.TableFunction.DuckDBBindGetExtraInfo(info)).Target!;
            var index = Varchar(NativeMethods.TableFunction.DuckDBBindGetParameter(info, 0));
            var vector = Varchar(NativeMethods.TableFunction.DuckDBBindGetParameter(info, 1));
            var k = Int64(NativeMethods.TableFunction.DuckDBBindGetParameter(info, 2));
            var ef = Int64(NativeMethods.TableFunction.DuckDBBindGetNamedParameter(info, "ef"));
            var filter = Varchar(NativeMethods.TableFunction.DuckDBBindGetNamedParameter(info, "filter"));
            var hits = VectorSearchSql.Search(vectors, index, vector, k, ef, filter);
            using (var varchar = NativeMethods.LogicalType.DuckDBCreateLogicalType(DuckDBType.Varchar))
            using (var real = NativeMethods.LogicalType.DuckDBCreateLogicalType(DuckDBType.Float))
            using (var json = NativeMethods.LogicalType.DuckDBCreateLogicalType(DuckDBType.Varchar))
            {
                NativeApi.SetTypeAlias(json, "JSON");
                NativeMethods.TableFunction.DuckDBBindAddResultColumn(info, "id", varchar);
                NativeMethods.TableFunction.DuckDBBindAddResultColumn(info, "distance", real);
                NativeMethods.TableFunction.DuckDBBindAddResultColumn(info, "metadata", json);
            }
            NativeMethods.TableFunction.DuckDBBindSetCardinality(info, (ulong)hits.Count, true);
            NativeMethods.TableFunction.DuckDBBindSetBindData(info, GCHandle.ToIntPtr(GCHandle.Alloc(hits)), &FreeHandle);
        }
        catch (Exception e)
        {
            NativeMethods.TableFunction.DuckDBBindSetError(info, e is ProblemException ? e.Message : $"vector_search: {e.Message}");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static void Init(IntPtr info)
    {
        try
        {
            var hits = (IReadOnlyList<SearchHit>)GCHandle.FromIntPtr(NativeMethods.TableFunction.DuckDBInitGetBindData(info)).Target!;
            NativeMethods.TableFunction.DuckDBInitSetInitData(info, GCHandle.ToIntPtr(GCHandle.Alloc(new Cursor(hits))), &FreeHandle);
        }
        catch (Exception e)
        {
            NativeMethods.TableFunction.DuckDBInitSetError(info, $"vector_search: {e.Message}");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static void Produce(IntPtr info, IntPtr chunk)
    {
        try
        {
            var cursor = (Cursor)GCHandle.FromIntPtr(NativeMethods.TableFunction.DuckDBFunctionGetInitData(info)).Target!;
            var ids = NativeApi.ChunkVector(chunk, 0);
            var distances = (float*)NativeMethods.Vectors.DuckDBVectorGetData(NativeApi.ChunkVector(chunk, 1));
            var metadata = NativeApi.ChunkVector(chunk, 2);
            var count = Math.Min(cursor.Hits.Count - cursor.Next, NativeApi.VectorSize);
            for (var row = 0; row < count; row++)
            {
                var hit = cursor.Hits[cursor.Next + row];
                AssignString(ids, row, hit.Id);
                distances[row] = hit.Distance;
                if (hit.Metadata is { } value)
                {
                    AssignString(metadata, row, value.GetRawText());
                }
                else
                {
                    NativeMethods.Vectors.DuckDBVectorEnsureValidityWritable(metadata);
                    NativeMethods.ValidityMask.DuckDBValiditySetRowValidity(NativeMethods.Vectors.DuckDBVectorGetValidity(metadata), (ulong)row, false);
                }
            }
            cursor.Next += count;
            NativeApi.SetChunkSize(chunk, (ulong)count);
        }
        catch (Exception e)
        {
            NativeMethods.TableFunction.DuckDBFunctionSetError(info, $"vector_search: {e.Message}");
        }
    }

    static void AssignString(IntPtr vector, int row, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* start = bytes) NativeMethods.Vectors.DuckDBVectorAssignStringElementLength(vector, (ulong)row, start, bytes.Length);
    }

    static string? Varchar(DuckDBValue value)
    {
        using (value) return value.IsInvalid || NativeMethods.Value.DuckDBIsNullValue(value) ? null : NativeMethods.Value.DuckDBGetVarchar(value);
    }

    static long? Int64(DuckDBValue value)
    {
        using (value) return value.IsInvalid || NativeMethods.Value.DuckDBIsNullValue(value) ? null : NativeMethods.Value.DuckDBGetInt64(value);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static void FreeHandle(IntPtr handle) => GCHandle.FromIntPtr(handle).Free();
}
