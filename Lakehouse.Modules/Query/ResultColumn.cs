using DuckDB.NET.Native;

namespace Lakehouse.Query;

/// <summary>How a result column's values are held and written: decided once per query, not per value.</summary>
internal enum ColumnKind
{
    /// <summary>TINYINT to BIGINT and UTINYINT to UINTEGER: whatever fits a long.</summary>
    Integer,
    UInt64,
    HugeInt,
    Double,
    Single,
    Decimal,
    Boolean,
    String,
    Date,
    Timestamp,
    TimestampTz,

    /// <summary>Anything else (lists, structs, maps, intervals, UUIDs, …), rendered to JSON text as it is read.</summary>
    Json,

    /// <summary>DuckDB's JSON type: a VARCHAR whose text is JSON already, read as text and written as is.</summary>
    JsonText,
}

/// <summary>A result column as the prepared statement describes it, before anything runs.</summary>
internal sealed record ResultColumn(string Name, VectorType Type, ColumnKind Kind)
{
    public static ResultColumn[] Of(DuckDBPreparedStatement prepared)
    {
        var columns = new ResultColumn[NativeApi.PreparedColumnCount(prepared)];
        for (var i = 0; i < columns.Length; i++)
        {
            var name = NativeApi.PreparedColumnName(prepared, (ulong)i);
            using var logicalType = NativeApi.PreparedColumnType(prepared, (ulong)i);
            var type = VectorType.Of(logicalType, name);
            columns[i] = new ResultColumn(name, type, type.SqlName == "JSON" ? ColumnKind.JsonText : KindOf(type.Id));
        }
        return columns;
    }

    static ColumnKind KindOf(DuckDBType type) => type switch
    {
        DuckDBType.TinyInt or DuckDBType.SmallInt or DuckDBType.Integer or DuckDBType.BigInt
            or DuckDBType.UnsignedTinyInt or DuckDBType.UnsignedSmallInt or DuckDBType.UnsignedInteger => ColumnKind.Integer,
        DuckDBType.UnsignedBigInt => ColumnKind.UInt64,
        DuckDBType.HugeInt => ColumnKind.HugeInt,
        DuckDBType.Double => ColumnKind.Double,
        DuckDBType.Float => ColumnKind.Single,
        DuckDBType.Decimal => ColumnKind.Decimal,
        DuckDBType.Boolean => ColumnKind.Boolean,
        DuckDBType.Varchar => ColumnKind.String,
        DuckDBType.Date => ColumnKind.Date,
        DuckDBType.Timestamp or DuckDBType.TimestampS or DuckDBType.TimestampMs or DuckDBType.TimestampNs => ColumnKind.Timestamp,
        DuckDBType.TimestampTz => ColumnKind.TimestampTz,
        _ => ColumnKind.Json,
    };
}
