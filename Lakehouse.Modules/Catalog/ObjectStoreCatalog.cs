using System.Collections.Concurrent;
using System.Text.Json;
using Lakehouse.Catalog.Iceberg;
using Lakehouse.Common;
using Lakehouse.Storage;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Catalog;

/// <summary>
/// Manifests kept as _catalog/{name}.json objects and cached in memory. A change takes the
/// dataset's lock, writes the whole next manifest in one atomic object write, then swaps the cache:
/// a crash leaves the old version or the new one. Data files are always stored before the manifest
/// that names them, so a manifest never names a missing file.
/// </summary>
internal sealed class ObjectStoreCatalog : ICatalog
{
    readonly ConcurrentDictionary<string, DatasetManifest> _manifests = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    readonly IObjectStore _store;
    readonly ILogger<ObjectStoreCatalog> _logger;
    readonly LoadOnce _loaded;
    readonly TimeSpan _orphanGrace;
    readonly TimeSpan _droppedFileGrace;
    readonly int _keepVersions;
    readonly CatalogChangeFeed _feed;

    readonly IcebergMetadataWriter _iceberg;
    readonly bool _icebergEnabled;

    public ObjectStoreCatalog(IObjectStore store, CatalogChangeFeed feed, IcebergMetadataWriter iceberg, LakehouseConfig config, ILogger<ObjectStoreCatalog> logger)
    {
        _store = store;
        _feed = feed;
        _iceberg = iceberg;
        _icebergEnabled = config.Iceberg.Enabled;
        _logger = logger;
        _orphanGrace = Duration.Parse(config.Catalog.OrphanGrace);
        _droppedFileGrace = Duration.Parse(config.Catalog.DroppedFileGrace, allowZero: true);
        _keepVersions = (int)config.Catalog.KeepVersions;
        _loaded = new LoadOnce(LoadAsync);
    }

    readonly List<Func<DatasetChange, Task>> _subscribers = [];

    public void OnChanged(Func<DatasetChange, Task> handler)
    {
        lock (_subscribers) _subscribers.Add(handler);
    }

    /// <summary>Reads every manifest once; later calls wait for that first load.</summary>
    public Task EnsureLoadedAsync() => _loaded.EnsureAsync();

    async Task LoadAsync()
    {
        string? cursor = null;
        do
        {
            var page = await _store.ListAsync(DatasetKeys.ManifestPrefix, 1000, cursor, CancellationToken.None);
            foreach (var info in page.Objects.Where(o => o.Key.EndsWith(".json", StringComparison.Ordinal)))
            {
                // Storage failing is not the manifest's fault: it fails the whole load, which start-up retries.
                await using var content = await _store.GetAsync(info.Key, null, CancellationToken.None);
                if (content is null) continue;
                var bytes = new MemoryStream();
                await content.Stream.CopyToAsync(bytes);
                try
                {
                    var manifest = ManifestCheck.Whole(ManifestFormat.Deserialize(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)), info.Key);
                    _manifests[manifest.Name] = manifest;
                }
                catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException)
                {
                    // One bad manifest takes down its own dataset only.
                    _logger.LogError("Skipping unreadable manifest {Key}: {Reason}", info.Key, e.Message);
                }
            }
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        await AddIcebergMetadataAsync();
        var swept = await OrphanSweep.RunAsync(_store, Named(), _orphanGrace, _logger, CancellationToken.None);
        _logger.LogInformation("Catalog loaded {Count} datasets; swept {Swept} orphaned data files", _manifests.Count, swept);
    }

    /// <summary>Datasets stored before Iceberg metadata existed gain it at start: same version, manifest rewritten to name it.</summary>
    async Task AddIcebergMetadataAsync()
    {
        foreach (var manifest in _manifests.Values.Where(m => m.Iceberg is null && IcebergSchema.Fits(m.Schema)).ToList())
        {
            if (!_icebergEnabled) break;
            var files = manifest.Files.Select(f => f with { AddedVersion = f.AddedVersion ?? manifest.Version }).ToList();
            var upgraded = manifest with { Files = files };
            upgraded = upgraded with { Iceberg = await _iceberg.WriteAsync(upgraded, null, CancellationToken.None) };
            await _store.PutAsync(DatasetKeys.Manifest(manifest.Name), new MemoryStream(ManifestFormat.Serialize(upgraded)), CancellationToken.None);
            _manifests[manifest.Name] = upgraded;
        }
    }

    public IReadOnlyList<DatasetManifest> List()
    {
        _loaded.Ensure();
        return [.. _manifests.Values.OrderBy(m => m.Name, StringComparer.Ordinal)];
    }

    public DatasetManifest? Get(string name)
    {
        _loaded.Ensure();
        return _manifests.GetValueOrDefault(name);
    }

    public async Task<DatasetManifest> UpdateAsync(string name, long? expectedVersion, Func<DatasetManifest?, DatasetContent> change, CancellationToken cancellationToken)
    {
        Names.Validate(name, "Dataset");
        await EnsureLoadedAsync();
        var gate = _locks.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var current = _manifests.GetValueOrDefault(name);
            var currentVersion = current?.Version ?? 0;
            if (expectedVersion is { } expected && expected != currentVersion)
            {
                throw CatalogErrors.VersionConflict(name, currentVersion, expected);
            }
            var content = change(current);
            // A file named twice would be read twice: an append that landed once already must not land again.
            if (content.Files.GroupBy(f => f.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                throw ProblemException.Conflict($"Dataset '{name}' would name file '{twice.Key}' twice; the change was not made.");
            }
            var now = DateTimeOffset.UtcNow;
            var version = currentVersion + 1;
            // Each file remembers the version that added it: its Iceberg snapshot and sequence number.
            var added = current?.Files.ToDictionary(f => f.Key, f => f.AddedVersion ?? current.Version, StringComparer.Ordinal) ?? [];
            var files = content.Files.Select(f => f with { AddedVersion = added.GetValueOrDefault(f.Key, version) }).ToList();
            var next = new DatasetManifest(name, version, current?.CreatedAt ?? now, now,
                files.Sum(f => f.RowCount), files.Sum(f => f.SizeBytes), content.Schema, files)
            {
                Operation = OperationOf(current, content),
                // Earlier versions stay readable (and their files stored) until catalog.keep_versions pushes them out.
                History = current is null ? [] : [.. new[] { current.AsVersion() }.Concat(current.History ?? []).Take(_keepVersions - 1)],
            };
            // Past this point the change is being committed: a client hanging up must not cut it in half.
            // Data first (stored by the caller), then the Iceberg metadata, then the manifest that names both.
            next = next with { Iceberg = await _iceberg.WriteAsync(next, current, CancellationToken.None) };
            await _store.PutAsync(DatasetKeys.Manifest(name), new MemoryStream(ManifestFormat.Serialize(next)), CancellationToken.None);
            _manifests[name] = next;
            await NotifyAsync(new DatasetChange(name, next));
            await DeleteUnreferencedAsync(name, current?.Keys().Except(next.Keys(), StringComparer.Ordinal) ?? []);
            return next;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        Names.Validate(name, "Dataset");
        await EnsureLoadedAsync();
        var gate = _locks.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!_manifests.TryGetValue(name, out var manifest)) return false;
            await _store.DeleteAsync(DatasetKeys.Manifest(name), CancellationToken.None);
            _manifests.TryRemove(name, out _);
            await NotifyAsync(new DatasetChange(name, null));
            await DeleteUnreferencedAsync(name, manifest.Keys());
            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Deletes the files a change of <paramref name="dataset"/> dropped, when the dataset owns them
    /// (they are under its folder) and no manifest names them any more. Only files a manifest named:
    /// an ingest racing this change may have stored a new file under the folder that its own
    /// manifest is about to name. Files registered from elsewhere stay: they belong to whoever wrote them.
    /// After catalog.dropped_file_grace, not at once: a query that planned with the old file list
    /// (it opens files as its scan reaches them) finishes on them. Should the process stop first, the
    /// orphan sweep at the next start removes them.
    /// </summary>
    async Task DeleteUnreferencedAsync(string dataset, IEnumerable<string> dropped)
    {
        if (_droppedFileGrace > TimeSpan.Zero)
        {
            // Worked out once the grace has passed, off the commit's path: comparing two versions' every
            // kept file took an append 0.1-0.2 ms, and the manifests it reads never change.
            _ = DeleteLaterAsync(dataset, dropped);
            return;
        }
        await DeleteUnnamedAsync(Owned(dataset, dropped));
    }

    async Task DeleteLaterAsync(string dataset, IEnumerable<string> dropped)
    {
        try
        {
            await Task.Delay(_droppedFileGrace);
            await DeleteUnnamedAsync(Owned(dataset, dropped));
        }
        catch (Exception e)
        {
            _logger.LogWarning("Could not delete dropped data files yet ({Reason}); the orphan sweep at the next start will", e.Message);
        }
    }

    static List<string> Owned(string dataset, IEnumerable<string> keys) =>
        [.. keys.Where(key => key.StartsWith(DatasetKeys.FilesPrefix(dataset), StringComparison.Ordinal))];

    /// <summary>Deletes those of <paramref name="keys"/> that no manifest names now (a later change may have named one again).</summary>
    async Task DeleteUnnamedAsync(IReadOnlyList<string> keys)
    {
        if (keys.Count == 0) return;
        var named = Named();
        foreach (var key in keys.Where(k => !named.Contains(k)))
        {
            await _store.DeleteAsync(key, CancellationToken.None);
        }
    }

    /// <summary>What a version did, as Iceberg names it: only files added → append; the same rows rewritten (a compaction says so) → replace; else overwrite.</summary>
    static string OperationOf(DatasetManifest? current, DatasetContent content)
    {
        var next = content.Files.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        return current is null || current.Files.All(f => next.Contains(f.Key)) ? "append" : content.Replaces ? "replace" : "overwrite";
    }

    /// <summary>Every object some manifest names: data files and Iceberg metadata, of current and kept versions.</summary>
    HashSet<string> Named() => _manifests.Values.SelectMany(m => m.Keys()).ToHashSet(StringComparer.Ordinal);

    /// <summary>Subscribers in this process first (the query views, before the call returns), then the change feed for other processes.</summary>
    async Task NotifyAsync(DatasetChange change)
    {
        Func<DatasetChange, Task>[] handlers;
        lock (_subscribers) handlers = [.. _subscribers];
        foreach (var handler in handlers)
        {
            try
            {
                await handler(change);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "A catalog subscriber failed on the change of {Dataset}", change.Name);
            }
        }
        _feed.Publish(change);
    }
}
