using System.Runtime.InteropServices;
using DuckDB.NET.Native;

namespace Lakehouse.Query;

/// <summary>
/// The parts of DuckDB's C API (duckdb.h, 1.5) that DuckDB.NET does not bind, binds with an
/// enum that no longer lines up with the C one, or binds only for its own handle types (a data
/// chunk a table function callback is handed is a bare pointer).
/// </summary>
internal static unsafe partial class NativeApi
{
    // duckdb_statement_type values from duckdb.h.
    public const int SelectStatement = 1;
    public const int ExplainStatement = 4;

    [DllImport("duckdb", EntryPoint = "duckdb_prepared_statement_type")]
    public static extern int PreparedStatementType(DuckDBPreparedStatement statement);

    [DllImport("duckdb", EntryPoint = "duckdb_prepared_statement_column_count")]
    public static extern ulong PreparedColumnCount(DuckDBPreparedStatement statement);

    [DllImport("duckdb", EntryPoint = "duckdb_prepared_statement_column_name")]
    static extern IntPtr PreparedColumnNamePointer(DuckDBPreparedStatement statement, ulong column);

    [DllImport("duckdb", EntryPoint = "duckdb_prepared_statement_column_logical_type")]
    public static extern DuckDBLogicalType PreparedColumnType(DuckDBPreparedStatement statement, ulong column);

    [DllImport("duckdb", EntryPoint = "duckdb_logical_type_set_alias")]
    public static extern void SetTypeAlias(DuckDBLogicalType type, [MarshalAs(UnmanagedType.LPUTF8Str)] string alias);

    [DllImport("duckdb", EntryPoint = "duckdb_data_chunk_get_vector")]
    public static extern IntPtr ChunkVector(IntPtr chunk, ulong column);

    [DllImport("duckdb", EntryPoint = "duckdb_data_chunk_set_size")]
    public static extern void SetChunkSize(IntPtr chunk, ulong size);

    [DllImport("duckdb", EntryPoint = "duckdb_vector_size")]
    static extern ulong VectorSizeNative();

    /// <summary>The most rows a data chunk holds (STANDARD_VECTOR_SIZE).</summary>
    public static readonly int VectorSize = (int)VectorSizeNative();

    [DllImport("duckdb", EntryPoint = "duckdb_free")]
    static extern void Free(IntPtr pointer);

    [DllImport("duckdb", EntryPoint = "duckdb_logical_type_get_alias")]
    static extern IntPtr TypeAliasPointer(DuckDBLogicalType type);

    /// <summary>A type's alias (JSON is a VARCHAR aliased "JSON"), or null; DuckDB hands out a copy the caller frees.</summary>
    public static string? TypeAlias(DuckDBLogicalType type)
    {
        var alias = TypeAliasPointer(type);
        if (alias == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(alias);
        }
        finally
        {
            Free(alias);
        }
    }

    /// <summary>A result column's name; DuckDB hands out a copy the caller frees.</summary>
    public static string PreparedColumnName(DuckDBPreparedStatement statement, ulong column)
    {
        var name = PreparedColumnNamePointer(statement, column);
        try
        {
            return Marshal.PtrToStringUTF8(name) ?? "";
        }
        finally
        {
            if (name != IntPtr.Zero) Free(name);
        }
    }

    /// <summary>
    /// The UTF-8 bytes of a duckdb_string_t (16 bytes: a 32-bit length, then up to 12 bytes inline,
    /// or a 4-byte prefix and a pointer to the rest). Valid while its chunk lives.
    /// </summary>
    public static ReadOnlySpan<byte> Utf8(byte* stringT)
    {
        var length = *(int*)stringT;
        return length <= 12 ? new ReadOnlySpan<byte>(stringT + 4, length) : new ReadOnlySpan<byte>(*(byte**)(stringT + 8), length);
    }
}
