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

    /// <summary>What this version did: append (only files added), replace (the same rows in other files), overwrite.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Operation { get; init; }

    /// <summary>The earlier versions still kept (catalog.keep_versions), newest first: readable with dataset_at and as Iceberg snapshots.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<DatasetVersion>? History { get; init; }

    /// <summary>Every object this version or a kept earlier one names: data files and Iceberg metadata. None of them may be deleted.</summary>
    public IEnumerable<string> Keys() => Files.Select(f => f.Key).Concat(Iceberg?.Keys() ?? [])
        .Concat((History ?? []).SelectMany(v => v.Files.Select(f => f.Key).Concat(v.Iceberg?.Keys() ?? [])));

    /// <summary>This version as an entry of the next one's history.</summary>
    public DatasetVersion AsVersion() => new(Version, UpdatedAt, RowCount, SizeBytes, Operation ?? "append", Schema, Files) { Iceberg = Iceberg };
}

/// <summary>An earlier version of a dataset that is still kept.</summary>
public sealed record DatasetVersion(
    long Version,
    DateTimeOffset UpdatedAt,
    long RowCount,
    long SizeBytes,
    string Operation,
    IReadOnlyList<ColumnSchema> Schema,
    IReadOnlyList<DataFile> Files)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IcebergFiles? Iceberg { get; init; }
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
