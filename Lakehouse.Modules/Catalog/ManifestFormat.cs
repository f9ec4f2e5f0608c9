using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lakehouse.Catalog;

/// <summary>
/// A manifest as stored in _catalog/{name}.json: the API's fields, except that each kept version's files
/// are positions in one table (this version's files, then <c>earlier_files</c>, those only earlier
/// versions name) instead of the files again in full. Every append rewrites the manifest, and with the
/// files written out per kept version it grew with versions × files: 91–100 KB after 55 appends with
/// ten versions kept, 1–1.7 ms to serialize and 2–4 ms to store, most of an append's commit. Not
/// indented, for the same reason. Manifests written before (no <c>format</c>) are still read.
/// </summary>
internal static class ManifestFormat
{
    const int Current = 2;

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    // The format comes first, so that a reader can tell the forms apart before parsing.
    static readonly byte[] Marker = System.Text.Encoding.UTF8.GetBytes($"{{\"format\":{Current},");

    sealed record Stored(
        int Format,
        string Name,
        long Version,
        DateTimeOffset CreatedAt,
        DateTimeOffset UpdatedAt,
        long RowCount,
        long SizeBytes,
        IReadOnlyList<ColumnSchema> Schema,
        IReadOnlyList<DataFile> Files,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IcebergFiles? Iceberg,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Operation,
        IReadOnlyList<DataFile> EarlierFiles,
        IReadOnlyList<StoredVersion> History);

    sealed record StoredVersion(
        long Version,
        DateTimeOffset UpdatedAt,
        long RowCount,
        long SizeBytes,
        string Operation,
        IReadOnlyList<ColumnSchema> Schema,
        IReadOnlyList<int> Files,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IcebergFiles? Iceberg);

    public static byte[] Serialize(DatasetManifest m)
    {
        var positions = new Dictionary<DataFile, int>();
        foreach (var file in m.Files) positions.TryAdd(file, positions.Count);
        var earlier = new List<DataFile>();
        int PositionOf(DataFile file)
        {
            if (positions.TryGetValue(file, out var position)) return position;
            earlier.Add(file);
            return positions[file] = positions.Count;
        }
        var history = (m.History ?? []).Select(v => new StoredVersion(v.Version, v.UpdatedAt, v.RowCount, v.SizeBytes, v.Operation, v.Schema, [.. v.Files.Select(PositionOf)], v.Iceberg)).ToList();
        return JsonSerializer.SerializeToUtf8Bytes(new Stored(Current, m.Name, m.Version, m.CreatedAt, m.UpdatedAt, m.RowCount, m.SizeBytes, m.Schema, m.Files, m.Iceberg, m.Operation, earlier, history), Json);
    }

    /// <summary>The manifest in either stored form; InvalidDataException or JsonException when it is neither.</summary>
    public static DatasetManifest? Deserialize(ReadOnlySpan<byte> bytes)
    {
        if (!bytes.StartsWith(Marker)) return JsonSerializer.Deserialize<DatasetManifest>(bytes, Json);
        if (JsonSerializer.Deserialize<Stored>(bytes, Json) is not { } s) return null;
        List<DataFile> table = [.. s.Files ?? [], .. s.EarlierFiles ?? []];
        var history = (s.History ?? []).Select(v => new DatasetVersion(v.Version, v.UpdatedAt, v.RowCount, v.SizeBytes, v.Operation, v.Schema,
            [.. (v.Files ?? throw new InvalidDataException($"kept version {v.Version} has no file list")).Select(at => at >= 0 && at < table.Count
                ? table[at]
                : throw new InvalidDataException($"kept version {v.Version} names file {at}, which is not in the file table"))])
        { Iceberg = v.Iceberg }).ToList();
        return new DatasetManifest(s.Name, s.Version, s.CreatedAt, s.UpdatedAt, s.RowCount, s.SizeBytes, s.Schema!, s.Files!) { Iceberg = s.Iceberg, Operation = s.Operation, History = history };
    }
}
