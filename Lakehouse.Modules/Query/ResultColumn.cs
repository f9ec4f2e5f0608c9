using System.Numerics;
using DuckDB.NET.Data;

namespace Lakehouse.Query;

/// <summary>How a result column's values are read and written: decided once per query, not per value.</summary>
internal enum ValueKind
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

internal sealed record ResultColumn(string Name, string Type, ValueKind Kind)
{
    public static ResultColumn[] Of(DuckDBDataReader reader) =>
        [.. Enumerable.Range(0, reader.FieldCount).Select(i =>
        {
            var duckType = reader.GetDataTypeName(i);
            var kind = System.Type.GetTypeCode(reader.GetFieldType(i)) switch
            {
                TypeCode.Int64 => ValueKind.Int64,
                TypeCode.Int32 => ValueKind.Int32,
                TypeCode.Int16 => ValueKind.Int16,
                TypeCode.SByte => ValueKind.SByte,
                TypeCode.Byte => ValueKind.Byte,
                TypeCode.UInt16 => ValueKind.UInt16,
                TypeCode.UInt32 => ValueKind.UInt32,
                TypeCode.UInt64 => ValueKind.UInt64,
                TypeCode.Double => ValueKind.Double,
                TypeCode.Single => ValueKind.Single,
                TypeCode.Decimal => ValueKind.Decimal,
                TypeCode.Boolean => ValueKind.Boolean,
                TypeCode.String => ValueKind.String,
                TypeCode.DateTime => duckType == "TimestampTz" ? ValueKind.TimestampTz : ValueKind.Timestamp,
                _ when reader.GetFieldType(i) == typeof(DateOnly) => ValueKind.Date,
                _ => ValueKind.Other,
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

    /// <summary>A value of an <see cref="ValueKind.Other"/> column, as something System.Text.Json writes naturally.</summary>
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
