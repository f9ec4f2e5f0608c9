using System.Globalization;
using System.Numerics;
using DuckDB.NET.Native;

namespace Lakehouse.Query;

/// <summary>How a result column's values are read and written: decided once per query, not per value.</summary>
internal enum ColumnKind
{
    Int64,
    Int32,
    Int16,
    SByte,
    Byte,
    UInt16,
    UInt32,
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
    Other,
}

/// <summary>
/// A result column as the prepared statement describes it, before anything runs. <see cref="Storage"/>
/// is how its vector holds a value (a DECIMAL's integer width, a timestamp's unit) and
/// <see cref="Scale"/> a DECIMAL's scale; <see cref="Native"/> says whether its values can be
/// copied straight out of DuckDB's vectors (scalars) or need DuckDB.NET's reader (nested and rare types).
/// </summary>
internal sealed record ResultColumn(string Name, string Type, ColumnKind Kind, DuckDBType Storage, int Scale)
{
    public bool Native => Kind switch
    {
        ColumnKind.Other => false,
        ColumnKind.Decimal => Storage is not DuckDBType.HugeInt, // wider than 18 digits: past what a .NET decimal always holds
        _ => true,
    };

    /// <summary>A timestamp column's unit: TIMESTAMP_S, _MS and _NS count seconds, milli- and nanoseconds; the others microseconds.</summary>
    public long UnitsPerSecond => Storage switch
    {
        DuckDBType.TimestampS => 1,
        DuckDBType.TimestampMs => 1_000,
        DuckDBType.TimestampNs => 1_000_000_000,
        _ => 1_000_000,
    };

    public static ResultColumn[] Of(DuckDBPreparedStatement prepared)
    {
        var count = NativeApi.PreparedColumnCount(prepared);
        var columns = new ResultColumn[count];
        for (var i = 0UL; i < count; i++)
        {
            using var type = NativeApi.PreparedColumnType(prepared, i);
            var id = NativeMethods.LogicalType.DuckDBGetTypeId(type);
            var (storage, scale) = id == DuckDBType.Decimal
                ? (NativeMethods.LogicalType.DuckDBDecimalInternalType(type), NativeMethods.LogicalType.DuckDBDecimalScale(type))
                : (id, 0);
            columns[i] = new ResultColumn(NativeApi.PreparedColumnName(prepared, i), SqlName(type), KindOf(id), storage, scale);
        }
        return columns;
    }

    static ColumnKind KindOf(DuckDBType type) => type switch
    {
        DuckDBType.BigInt => ColumnKind.Int64,
        DuckDBType.Integer => ColumnKind.Int32,
        DuckDBType.SmallInt => ColumnKind.Int16,
        DuckDBType.TinyInt => ColumnKind.SByte,
        DuckDBType.UnsignedTinyInt => ColumnKind.Byte,
        DuckDBType.UnsignedSmallInt => ColumnKind.UInt16,
        DuckDBType.UnsignedInteger => ColumnKind.UInt32,
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
        _ => ColumnKind.Other,
    };

    /// <summary>DuckDB's own spelling of a type, as DESCRIBE and typeof() print it.</summary>
    static string SqlName(DuckDBLogicalType type)
    {
        var id = NativeMethods.LogicalType.DuckDBGetTypeId(type);
        switch (id)
        {
            case DuckDBType.Decimal:
                return $"DECIMAL({NativeMethods.LogicalType.DuckDBDecimalWidth(type)},{NativeMethods.LogicalType.DuckDBDecimalScale(type)})";
            case DuckDBType.List:
                using (var child = NativeMethods.LogicalType.DuckDBListTypeChildType(type)) return SqlName(child) + "[]";
            case DuckDBType.Array:
                using (var child = NativeMethods.LogicalType.DuckDBArrayTypeChildType(type))
                {
                    return SqlName(child) + $"[{NativeMethods.LogicalType.DuckDBArrayVectorGetSize(type)}]";
                }
            case DuckDBType.Map:
                using (var key = NativeMethods.LogicalType.DuckDBMapTypeKeyType(type))
                using (var value = NativeMethods.LogicalType.DuckDBMapTypeValueType(type))
                {
                    return $"MAP({SqlName(key)}, {SqlName(value)})";
                }
            case DuckDBType.Struct:
                var fields = new List<string>();
                for (var i = 0L; i < NativeMethods.LogicalType.DuckDBStructTypeChildCount(type); i++)
                {
                    using var child = NativeMethods.LogicalType.DuckDBStructTypeChildType(type, i);
                    fields.Add($"{NativeMethods.LogicalType.DuckDBStructTypeChildName(type, i)} {SqlName(child)}");
                }
                return $"STRUCT({string.Join(", ", fields)})";
            default:
                return ScalarNames.TryGetValue(id, out var name) ? name : id.ToString().ToUpperInvariant();
        }
    }

    static readonly Dictionary<DuckDBType, string> ScalarNames = new()
    {
        [DuckDBType.TinyInt] = "TINYINT",
        [DuckDBType.SmallInt] = "SMALLINT",
        [DuckDBType.UnsignedTinyInt] = "UTINYINT",
        [DuckDBType.UnsignedSmallInt] = "USMALLINT",
        [DuckDBType.UnsignedInteger] = "UINTEGER",
        [DuckDBType.UnsignedBigInt] = "UBIGINT",
        [DuckDBType.UnsignedHugeInt] = "UHUGEINT",
        [DuckDBType.TimestampS] = "TIMESTAMP_S",
        [DuckDBType.TimestampMs] = "TIMESTAMP_MS",
        [DuckDBType.TimestampNs] = "TIMESTAMP_NS",
        [DuckDBType.TimeTz] = "TIME WITH TIME ZONE",
        [DuckDBType.TimestampTz] = "TIMESTAMP WITH TIME ZONE",
        [DuckDBType.VarInt] = "BIGNUM",
        [DuckDBType.SqlNull] = "NULL",
    };

    /// <summary>A value of an <see cref="ColumnKind.Other"/> column, as something System.Text.Json writes naturally.</summary>
    public static object? Portable(object? value) => value switch
    {
        null or DBNull => null,
        BigInteger big => big.ToString(CultureInfo.InvariantCulture),
        Stream blob => ReadAll(blob),
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        _ => value,
    };

    static byte[] ReadAll(Stream blob)
    {
        using var copy = new MemoryStream();
        blob.CopyTo(copy);
        return copy.ToArray();
    }
}
