using System.Numerics;
using DuckDB.NET.Data;

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

internal sealed record ResultColumn(string Name, string Type, ColumnKind Kind)
{
    public static ResultColumn[] Of(DuckDBDataReader reader) =>
        [.. Enumerable.Range(0, reader.FieldCount).Select(i =>
        {
            var duckType = reader.GetDataTypeName(i);
            var kind = System.Type.GetTypeCode(reader.GetFieldType(i)) switch
            {
                TypeCode.Int64 => ColumnKind.Int64,
                TypeCode.Int32 => ColumnKind.Int32,
                TypeCode.Int16 => ColumnKind.Int16,
                TypeCode.SByte => ColumnKind.SByte,
                TypeCode.Byte => ColumnKind.Byte,
                TypeCode.UInt16 => ColumnKind.UInt16,
                TypeCode.UInt32 => ColumnKind.UInt32,
                TypeCode.UInt64 => ColumnKind.UInt64,
                TypeCode.Double => ColumnKind.Double,
                TypeCode.Single => ColumnKind.Single,
                TypeCode.Decimal => ColumnKind.Decimal,
                TypeCode.Boolean => ColumnKind.Boolean,
                TypeCode.String => ColumnKind.String,
                TypeCode.DateTime => duckType == "TimestampTz" ? ColumnKind.TimestampTz : ColumnKind.Timestamp,
                _ when reader.GetFieldType(i) == typeof(DateOnly) => ColumnKind.Date,
                _ => ColumnKind.Other,
            };
            return new ResultColumn(reader.GetName(i), SqlTypeName(duckType), kind);
        })];

    /// <summary>DuckDB's SQL spelling of the type DuckDB.NET names in PascalCase ("BigInt" → "BIGINT").</summary>
    static string SqlTypeName(string duckDbNetName) => duckDbNetName switch
    {
        "TimestampTz" => "TIMESTAMP WITH TIME ZONE",
        "TimeTz" => "TIME WITH TIME ZONE",
        "TimestampS" => "TIMESTAMP_S",
        "TimestampMs" => "TIMESTAMP_MS",
        "TimestampNs" => "TIMESTAMP_NS",
        _ when duckDbNetName.StartsWith("Unsigned", StringComparison.Ordinal) => "U" + duckDbNetName["Unsigned".Length..].ToUpperInvariant(),
        _ => duckDbNetName.ToUpperInvariant(),
    };

    /// <summary>A value of an <see cref="ColumnKind.Other"/> column, as something System.Text.Json writes naturally.</summary>
    public static object? Portable(object? value) => value switch
    {
        null or DBNull => null,
        BigInteger big => big.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Stream blob => ReadAll(blob),
        TimeSpan span => span.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        _ => value,
    };

    static byte[] ReadAll(Stream blob)
    {
        using var copy = new MemoryStream();
        blob.CopyTo(copy);
        return copy.ToArray();
    }
}
