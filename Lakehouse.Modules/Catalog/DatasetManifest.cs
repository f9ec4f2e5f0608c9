namespace Lakehouse.Catalog;

/// <summary>A dataset's manifest as stored in _catalog/{name}.json and served by the API.</summary>
public sealed record DatasetManifest(
    string Name,
    long Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long RowCount,
    long SizeBytes,
    IReadOnlyList<ColumnSchema> Schema,
    IReadOnlyList<DataFile> Files);

/// <summary>A column: its name as written, a DuckDB type name, and whether it may hold NULL.</summary>
public sealed record ColumnSchema(string Name, string Type, bool Nullable);

public sealed record DataFile(string Key, long RowCount, long SizeBytes);

/// <summary>The prefixes a dataset's objects live under.</summary>
public static class DatasetKeys
{
    /// <summary>Every dataset's own files live under here, each dataset's in a folder of its name.</summary>
    public const string FilesRoot = "datasets/";

    public static string FilesPrefix(string name) => $"{FilesRoot}{name}/";

    public static string Manifest(string name) => $"_catalog/{name}.json";

    public const string ManifestPrefix = "_catalog/";
}
