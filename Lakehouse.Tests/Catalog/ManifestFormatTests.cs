using System.Text.Json;
using Lakehouse.Catalog;

namespace Lakehouse.Tests.Catalog;

/// <summary>The stored manifest: kept versions name their files by position, and every manifest reads back as it was written.</summary>
public sealed class ManifestFormatTests
{
    static readonly JsonSerializerOptions Api = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    static readonly DateTimeOffset Start = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    static DataFile File(int n, long added) => new($"datasets/d/{n:D26}.parquet", 100 + n, 1000 + n) { AddedVersion = added };

    /// <summary>A dataset after <paramref name="appends"/> appends of one file each, then a replace by one file, keeping <paramref name="keep"/> versions.</summary>
    static DatasetManifest Appended(int appends, int keep, bool replaceLast = false)
    {
        var schema = new List<ColumnSchema> { new("id", "BIGINT", true) };
        DatasetManifest? manifest = null;
        for (var version = 1; version <= appends + (replaceLast ? 1 : 0); version++)
        {
            List<DataFile> files = replaceLast && version > appends ? [File(10_000, version)] : [.. manifest?.Files ?? [], File(version, version)];
            var history = manifest is null ? [] : new[] { manifest.AsVersion() }.Concat(manifest.History ?? []).Take(keep - 1).ToList();
            manifest = new DatasetManifest("d", version, Start, Start.AddSeconds(version), files.Sum(f => f.RowCount), files.Sum(f => f.SizeBytes), schema, files)
            {
                Operation = replaceLast && version > appends ? "overwrite" : "append",
                Iceberg = new IcebergFiles($"datasets/d/metadata/{version:D5}.metadata.json", $"datasets/d/metadata/snap-{version}.avro", $"datasets/d/metadata/{version}-m0.avro"),
                History = history,
            };
        }
        return manifest!;
    }

    [Fact]
    public void A_manifest_reads_back_as_written_kept_versions_and_their_dropped_files_included()
    {
        var manifest = Appended(appends: 30, keep: 10, replaceLast: true);
        Assert.Contains(manifest.History!, v => v.Files.Count > 1); // the kept versions name files the current one dropped
        var read = ManifestFormat.Deserialize(ManifestFormat.Serialize(manifest));
        Assert.Equal(JsonSerializer.Serialize(manifest, Api), JsonSerializer.Serialize(read, Api));
    }

    [Fact]
    public void A_manifest_stored_before_the_positions_is_still_read()
    {
        var manifest = Appended(appends: 12, keep: 5);
        var earlierForm = JsonSerializer.SerializeToUtf8Bytes(manifest, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true });
        Assert.Equal(JsonSerializer.Serialize(manifest, Api), JsonSerializer.Serialize(ManifestFormat.Deserialize(earlierForm), Api));
    }

    [Fact]
    public void Kept_versions_do_not_write_their_files_again()
    {
        var manifest = Appended(appends: 64, keep: 10);
        var stored = ManifestFormat.Serialize(manifest).Length;
        var currentAlone = JsonSerializer.SerializeToUtf8Bytes(manifest with { History = [] }, Api).Length;
        // Written out in full, the nine kept versions' 55–63 files each made it about 9× the current version alone.
        Assert.True(stored < currentAlone * 2, $"stored {stored} bytes against {currentAlone} for the current version alone");
    }

    [Fact]
    public void A_position_outside_the_file_table_is_refused()
    {
        var stored = System.Text.Encoding.UTF8.GetString(ManifestFormat.Serialize(Appended(appends: 3, keep: 3)));
        var broken = stored.Replace("\"files\":[0,1]", "\"files\":[0,7]", StringComparison.Ordinal);
        Assert.NotEqual(stored, broken);
        var error = Assert.Throws<InvalidDataException>(() => ManifestFormat.Deserialize(System.Text.Encoding.UTF8.GetBytes(broken)));
        Assert.Contains("file 7", error.Message, StringComparison.Ordinal);
    }
}
