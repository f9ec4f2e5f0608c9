using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Lakehouse.Common;
using Lakehouse.Storage;

namespace Lakehouse.Catalog.Iceberg;

/// <summary>
/// Writes a dataset version as an Apache Iceberg v2 table snapshot (format/spec.md): a manifest (Avro)
/// naming every live data file, added or existing, and the files this version dropped as deleted; a
/// manifest list (Avro) naming that manifest; and metadata.json, in the table's metadata/ folder
/// beside its data files. The catalog writes them before the manifest that names them, so a crash
/// leaves only unnamed files, which the orphan sweep removes. Snapshot ids and the table uuid derive
/// from the dataset (name, creation time, version), so every version's ids are stable and distinct.
/// <see cref="AvroFile"/> writes the Avro files.
/// </summary>
internal sealed class IcebergMetadataWriter(IObjectStore store, LakehouseConfig config)
{
    const int Added = 1, Existing = 0, Deleted = 2;

    // The Avro schemas of Iceberg's manifest and manifest list (format/spec.md, "Manifests"), with the
    // field ids Iceberg readers match columns by. The Entry and ManifestFile methods write their fields in this order.
    static readonly string ManifestEntrySchema = Minified("""
        {"type":"record","name":"manifest_entry","fields":[
          {"name":"status","type":"int","field-id":0},
          {"name":"snapshot_id","type":["null","long"],"default":null,"field-id":1},
          {"name":"sequence_number","type":["null","long"],"default":null,"field-id":3},
          {"name":"file_sequence_number","type":["null","long"],"default":null,"field-id":4},
          {"name":"data_file","field-id":2,"type":{"type":"record","name":"r2","fields":[
            {"name":"content","type":"int","field-id":134},
            {"name":"file_path","type":"string","field-id":100},
            {"name":"file_format","type":"string","field-id":101},
            {"name":"partition","field-id":102,"type":{"type":"record","name":"r102","fields":[]}},
            {"name":"record_count","type":"long","field-id":103},
            {"name":"file_size_in_bytes","type":"long","field-id":104}]}}]}
        """);

    static readonly string ManifestFileSchema = Minified("""
        {"type":"record","name":"manifest_file","fields":[
          {"name":"manifest_path","type":"string","field-id":500},
          {"name":"manifest_length","type":"long","field-id":501},
          {"name":"partition_spec_id","type":"int","field-id":502},
          {"name":"content","type":"int","field-id":517},
          {"name":"sequence_number","type":"long","field-id":515},
          {"name":"min_sequence_number","type":"long","field-id":516},
          {"name":"added_snapshot_id","type":"long","field-id":503},
          {"name":"added_files_count","type":"int","field-id":504},
          {"name":"existing_files_count","type":"int","field-id":505},
          {"name":"deleted_files_count","type":"int","field-id":506},
          {"name":"added_rows_count","type":"long","field-id":512},
          {"name":"existing_rows_count","type":"long","field-id":513},
          {"name":"deleted_rows_count","type":"long","field-id":514}]}
        """);

    readonly ConcurrentDictionary<(Guid Uuid, long Version), long> _snapshotIds = new();

    /// <summary>Where outside engines find the objects: [iceberg] location_base, else the store's own URI (file:///…, s3://bucket/).</summary>
    public string LocationBase { get; } = config.Iceberg.LocationBase.Length > 0 ? config.Iceberg.LocationBase.TrimEnd('/') + "/" : store.Location;

    public string Location(string key) => LocationBase + key;

    /// <summary>Writes <paramref name="next"/>'s metadata (its files' AddedVersion set); null when its schema has no Iceberg form.</summary>
    public async Task<IcebergFiles?> WriteAsync(DatasetManifest next, DatasetManifest? previous, CancellationToken cancellationToken)
    {
        if (!config.Iceberg.Enabled || !IcebergSchema.Fits(next.Schema)) return null;
        var uuid = TableUuid(next);
        var snapshotId = SnapshotId(uuid, next.Version);
        var unique = Ulid.New();
        var prefix = DatasetKeys.IcebergPrefix(next.Name);
        var files = new IcebergFiles(
            Metadata: $"{prefix}{next.Version:D5}-{unique}.metadata.json",
            ManifestList: $"{prefix}snap-{snapshotId}-1-{unique}.avro",
            Manifest: $"{prefix}{unique}-m0.avro");

        var live = next.Files.Select(f => (File: f, Status: f.AddedVersion == next.Version ? Added : Existing)).ToList();
        var kept = next.Files.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var dropped = previous?.Files.Where(f => !kept.Contains(f.Key)).ToList() ?? [];
        var manifest = new AvroFile(ManifestEntrySchema, ManifestHeader(next));
        foreach (var (file, status) in live) Entry(manifest, status, status == Added ? snapshotId : SnapshotId(uuid, file.AddedVersion ?? next.Version), file, next.Version);
        foreach (var file in dropped) Entry(manifest, Deleted, snapshotId, file, next.Version);
        var manifestBytes = manifest.ToArray();

        var added = live.Where(e => e.Status == Added).Select(e => e.File).ToList();
        var existing = live.Where(e => e.Status == Existing).Select(e => e.File).ToList();
        var parent = previous?.Iceberg is not null && previous.CreatedAt == next.CreatedAt ? SnapshotId(uuid, previous.Version) : (long?)null;
        var list = new AvroFile(ManifestFileSchema, ListHeader(snapshotId, parent, next.Version));
        ManifestFile(list, files, manifestBytes.Length, snapshotId, next, added, existing, dropped);
        var listBytes = list.ToArray();
        var metadata = Metadata(next, uuid, snapshotId, parent, files, added, dropped);
        // All three are new objects that nothing names until the catalog's manifest does, and the
        // manifest's write flushes them to the disk before it: stored unflushed, and at once (on S3
        // their PUTs overlap).
        await Task.WhenAll(
            store.PutUnflushedAsync(files.Manifest, new MemoryStream(manifestBytes), CancellationToken.None),
            store.PutUnflushedAsync(files.ManifestList, new MemoryStream(listBytes), CancellationToken.None),
            store.PutUnflushedAsync(files.Metadata, new MemoryStream(Encoding.UTF8.GetBytes(metadata.ToJsonString())), CancellationToken.None));
        return files;
    }

    /// <summary>The table's uuid: the same for every version of one dataset, new when a deleted dataset's name is used again.</summary>
    static Guid TableUuid(DatasetManifest manifest)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{manifest.Name}\n{manifest.CreatedAt.UtcTicks}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x40); // version 4 layout, variant 1: a well-formed UUID
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>A positive 63-bit id per (table, version): a hash, remembered because every later version asks again for each file it kept.</summary>
    long SnapshotId(Guid uuid, long version)
    {
        // A hash is about a microsecond and the manifest of an append to a table of n files asks n times.
        if (_snapshotIds.TryGetValue((uuid, version), out var id)) return id;
        // Bounded: past the limit, forgetting every id costs one hash each when next asked.
        if (_snapshotIds.Count > 100_000) _snapshotIds.Clear();
        id = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"{uuid}\n{version}")), 0) & long.MaxValue;
        _snapshotIds[(uuid, version)] = id;
        return id;
    }

    void Entry(AvroFile manifest, int status, long snapshotId, DataFile file, long version)
    {
        var sequence = file.AddedVersion ?? version;
        manifest.Long(status);
        manifest.NullableLong(snapshotId);
        manifest.NullableLong(sequence); // sequence_number
        manifest.NullableLong(sequence); // file_sequence_number
        // data_file: content, file_path, file_format, partition (an empty record: no bytes), record_count, file_size_in_bytes
        manifest.Long(0);
        manifest.String(Location(file.Key));
        manifest.String("PARQUET");
        manifest.Long(file.RowCount);
        manifest.Long(file.SizeBytes);
        manifest.EndRecord();
    }

    void ManifestFile(AvroFile list, IcebergFiles files, long length, long snapshotId, DatasetManifest next, IReadOnlyList<DataFile> added, IReadOnlyList<DataFile> existing, IReadOnlyList<DataFile> dropped)
    {
        list.String(Location(files.Manifest));
        list.Long(length);
        list.Long(0); // partition_spec_id
        list.Long(0); // content: data
        list.Long(next.Version); // sequence_number
        list.Long(next.Files.Select(f => f.AddedVersion ?? next.Version).DefaultIfEmpty(next.Version).Min()); // min_sequence_number
        list.Long(snapshotId); // added_snapshot_id
        list.Long(added.Count);
        list.Long(existing.Count);
        list.Long(dropped.Count);
        list.Long(added.Sum(f => f.RowCount));
        list.Long(existing.Sum(f => f.RowCount));
        list.Long(dropped.Sum(f => f.RowCount));
        list.EndRecord();
    }

    static Dictionary<string, string> ManifestHeader(DatasetManifest next) => new()
    {
        ["schema"] = IcebergSchema.Json(next.Schema).ToJsonString(),
        ["schema-id"] = "0",
        ["partition-spec"] = "[]",
        ["partition-spec-id"] = "0",
        ["format-version"] = "2",
        ["content"] = "data",
    };

    static Dictionary<string, string> ListHeader(long snapshotId, long? parent, long sequence)
    {
        var header = new Dictionary<string, string>
        {
            ["snapshot-id"] = snapshotId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["sequence-number"] = sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["format-version"] = "2",
        };
        header["parent-snapshot-id"] = parent?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null";
        return header;
    }

    static string Minified(string json) => JsonNode.Parse(json)!.ToJsonString();

    JsonObject Metadata(DatasetManifest next, Guid uuid, long snapshotId, long? parent, IcebergFiles files, IReadOnlyList<DataFile> added, IReadOnlyList<DataFile> dropped)
    {
        // Each distinct schema among the kept versions once, the current one first (schema-id 0).
        var kept = (next.History ?? []).Where(v => v.Iceberg is not null).ToList();
        var schemas = new List<IReadOnlyList<ColumnSchema>> { next.Schema };
        foreach (var version in kept.Where(v => SchemaId(schemas, v.Schema) < 0)) schemas.Add(version.Schema);
        var current = Snapshot(snapshotId, parent, next.Version, next.UpdatedAt, Location(files.ManifestList), 0, next.Operation ?? "append", next.RowCount, next.Files.Count);
        var summary = (JsonObject)current["summary"]!;
        summary["added-data-files"] = Count(added.Count);
        summary["deleted-data-files"] = Count(dropped.Count);
        summary["added-records"] = Count(added.Sum(f => f.RowCount));
        summary["deleted-records"] = Count(dropped.Sum(f => f.RowCount));
        summary["total-files-size"] = Count(next.SizeBytes);
        var versions = kept.Select(v => v.Version).ToHashSet();
        var snapshots = kept.Select(v => Snapshot(SnapshotId(uuid, v.Version), versions.Contains(v.Version - 1) ? SnapshotId(uuid, v.Version - 1) : null,
            v.Version, v.UpdatedAt, Location(v.Iceberg!.ManifestList), SchemaId(schemas, v.Schema), v.Operation, v.RowCount, v.Files.Count)).Reverse().Append(current).ToList();
        return new JsonObject
        {
            ["format-version"] = 2,
            ["table-uuid"] = uuid.ToString(),
            ["location"] = Location(DatasetKeys.FilesPrefix(next.Name)).TrimEnd('/'),
            ["last-sequence-number"] = next.Version,
            ["last-updated-ms"] = next.UpdatedAt.ToUnixTimeMilliseconds(),
            ["last-column-id"] = schemas.Max(schema => schema.Count),
            ["current-schema-id"] = 0,
            ["schemas"] = new JsonArray([.. schemas.Select((schema, id) => (JsonNode)IcebergSchema.Json(schema, id))]),
            ["default-spec-id"] = 0,
            ["partition-specs"] = new JsonArray(new JsonObject { ["spec-id"] = 0, ["fields"] = new JsonArray() }),
            ["last-partition-id"] = 999,
            ["default-sort-order-id"] = 0,
            ["sort-orders"] = new JsonArray(new JsonObject { ["order-id"] = 0, ["fields"] = new JsonArray() }),
            ["properties"] = new JsonObject { ["schema.name-mapping.default"] = IcebergSchema.NameMapping(next.Schema) },
            ["current-snapshot-id"] = snapshotId,
            ["refs"] = new JsonObject { ["main"] = new JsonObject { ["snapshot-id"] = snapshotId, ["type"] = "branch" } },
            ["snapshots"] = new JsonArray([.. snapshots]),
            ["snapshot-log"] = new JsonArray([.. snapshots.Select(s => (JsonNode)new JsonObject { ["timestamp-ms"] = s["timestamp-ms"]!.DeepClone(), ["snapshot-id"] = s["snapshot-id"]!.DeepClone() })]),
            ["metadata-log"] = new JsonArray(),
        };
    }

    static JsonObject Snapshot(long id, long? parent, long version, DateTimeOffset at, string manifestList, int schemaId, string operation, long rows, int files)
    {
        var snapshot = new JsonObject
        {
            ["snapshot-id"] = id,
            ["sequence-number"] = version,
            ["timestamp-ms"] = at.ToUnixTimeMilliseconds(),
            ["manifest-list"] = manifestList,
            ["summary"] = new JsonObject
            {
                ["operation"] = operation,
                ["total-records"] = Count(rows),
                ["total-data-files"] = Count(files),
                ["lakehouse.version"] = Count(version),
            },
            ["schema-id"] = schemaId,
        };
        if (parent is { } parentId) snapshot["parent-snapshot-id"] = parentId;
        return snapshot;
    }

    static int SchemaId(List<IReadOnlyList<ColumnSchema>> schemas, IReadOnlyList<ColumnSchema> schema) =>
        schemas.FindIndex(known => known.SequenceEqual(schema));

    static string Count(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
