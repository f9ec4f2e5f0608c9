using System.Text.Json.Serialization;

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
    IReadOnlyList<DataFile> Files)
{
    /// <summary>This version's Apache Iceberg metadata; null when a column's type has no Iceberg equivalent.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IcebergFiles? Iceberg { get; init; }

    /// <summary>Every object this version names: its data files and its Iceberg metadata.</summary>
    public IEnumerable<string> Keys() => Files.Select(f => f.Key).Concat(Iceberg?.Keys() ?? []);
}

/// <summary>The objects of one version's Iceberg metadata: metadata.json, its manifest list and manifest.</summary>
public sealed record IcebergFiles(string Metadata, string ManifestList, string Manifest)
{
    public IEnumerable<string> Keys() => [Metadata, ManifestList, Manifest];
}

/// <summary>A column: its name as written, a DuckDB type name, and whether it may hold NULL.</summary>
public sealed record ColumnSchema(string Name, string Type, bool Nullable);

public sealed record DataFile(string Key, long RowCount, long SizeBytes)
{
    /// <summary>The dataset version that added the file (its Iceberg snapshot); the catalog sets it on commit.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? AddedVersion { get; init; }
}

/// <summary>The prefixes a dataset's objects live under.</summary>
public static class DatasetKeys
{
    /// <summary>Every dataset's own files live under here, each dataset's in a folder of its name.</summary>
    public const string FilesRoot = "datasets/";

    public static string FilesPrefix(string name) => $"{FilesRoot}{name}/";

    public static string Manifest(string name) => $"_catalog/{name}.json";

    public const string ManifestPrefix = "_catalog/";

    /// <summary>Where a dataset's Iceberg metadata lives: the conventional metadata/ folder beside its data files.</summary>
    public static string IcebergPrefix(string name) => $"{FilesPrefix(name)}metadata/";
}
