using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Lakehouse.Catalog.Iceberg;

/// <summary>
/// A dataset's schema as an Iceberg schema. Field ids are the columns' positions from 1 (Snowflake
/// refuses 0), the same ids ingest and compaction write into the Parquet files (DuckDB's FIELD_IDS), so
/// readers match columns by id as the spec asks; files registered from other tools get the
/// name mapping instead.
/// </summary>
public static partial class IcebergSchema
{
    /// <summary>The Iceberg type of a DuckDB column type, or null when Iceberg has none (lists, structs, intervals, unsigned 64-bit…).</summary>
    public static string? TypeOf(string duckDbType)
    {
        var type = duckDbType.Trim().ToUpperInvariant();
        if (Decimal().Match(type) is { Success: true } decimalType) return $"decimal({decimalType.Groups[1].Value}, {decimalType.Groups[2].Value})";
        return type switch
        {
            "BOOLEAN" => "boolean",
            "TINYINT" or "SMALLINT" or "INTEGER" or "UTINYINT" or "USMALLINT" => "int",
            "BIGINT" or "UINTEGER" => "long",
            "FLOAT" => "float",
            "DOUBLE" => "double",
            "DATE" => "date",
            "TIME" => "time",
            "TIMESTAMP" => "timestamp",
            "TIMESTAMP WITH TIME ZONE" => "timestamptz",
            "VARCHAR" => "string",
            "BLOB" => "binary",
            "UUID" => "uuid",
            _ => null,
        };
    }

    /// <summary>Whether every column has an Iceberg type, so that the dataset can be an Iceberg table.</summary>
    public static bool Fits(IReadOnlyList<ColumnSchema> schema) => schema.All(c => TypeOf(c.Type) is not null);

    /// <summary>The schema object of metadata.json (ids by position from 1).</summary>
    public static JsonObject Json(IReadOnlyList<ColumnSchema> schema, int schemaId = 0) => new()
    {
        ["type"] = "struct",
        ["schema-id"] = schemaId,
        ["fields"] = new JsonArray([.. schema.Select((column, i) => (JsonNode)new JsonObject
        {
            ["id"] = i + 1,
            ["name"] = column.Name,
            ["required"] = !column.Nullable,
            ["type"] = TypeOf(column.Type),
        })]),
    };

    /// <summary>schema.name-mapping.default: each id with the column name that maps to it, for Parquet files written without ids.</summary>
    public static string NameMapping(IReadOnlyList<ColumnSchema> schema) =>
        new JsonArray([.. schema.Select((column, i) => (JsonNode)new JsonObject { ["field-id"] = i + 1, ["names"] = new JsonArray(column.Name) })]).ToJsonString();

    [GeneratedRegex(@"^DECIMAL\((\d+),\s*(\d+)\)$")]
    private static partial Regex Decimal();
}
