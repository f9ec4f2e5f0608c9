using System.Collections.Concurrent;
using Lakehouse.Catalog;
using Lakehouse.Common;

namespace Lakehouse.Query;

/// <summary>
/// Keeps one view per catalog dataset and the file lists it reads (<see cref="DatasetFileLists"/>):
/// set for every dataset at start, then changed by the catalog's own change notifications, which
/// complete before the catalog call returns, so the next query sees an ingest, replace or delete at once. On the filesystem backend views read the
/// Parquet files in place; otherwise they read the read-through cache. A view that could not follow
/// its change (S3 did not answer while the cache filled) is marked behind, and every query first
/// brings the views that are behind up to their catalog version, or is refused with a 503: a query
/// never reads a dataset's old data after the change was acknowledged.
/// </summary>
internal sealed class DatasetViews
{
    readonly Lock _apply = new();
    readonly ICatalog _catalog;
    readonly QueryEngine _engine;
    readonly DatasetFileLists _lists;
    readonly ParquetFiles _files;
    readonly LoadOnce _started;
    readonly ConcurrentDictionary<string, bool> _behind = new(StringComparer.Ordinal);

    public DatasetViews(ICatalog catalog, QueryEngine engine, DatasetFileLists lists, ParquetFiles files)
    {
        (_catalog, _engine, _lists, _files) = (catalog, engine, lists, files);
        // Subscribed first, so no change between the start-up pass and now is missed (a newer version wins).
        catalog.OnChanged(change => FollowAsync(change.Name, change.Manifest));
        _started = new LoadOnce(async () =>
        {
            foreach (var manifest in catalog.List()) await ApplyAsync(manifest.Name, manifest, CancellationToken.None);
        });
    }

    /// <summary>Every dataset has its view; start-up waits for this, so no query fails on a view still being built.</summary>
    public Task EnsureStartedAsync() => _started.EnsureAsync();

    /// <summary>
    /// Every dataset's view is at its catalog version: queries wait for the start-up pass, then bring
    /// any view that is behind up to date, and are refused (503) while one cannot be.
    /// </summary>
    public async Task EnsureCurrentAsync(CancellationToken cancellationToken)
    {
        await EnsureStartedAsync();
        foreach (var name in _behind.Keys)
        {
            try
            {
                await ApplyAsync(name, _catalog.Get(name), cancellationToken);
                _behind.TryRemove(name, out _);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw ProblemException.Unavailable($"Dataset '{name}' changed, but its data could not be made readable yet ({e.Message}); the query would read the old data. Retry once storage answers.", e);
            }
        }
    }

    async Task FollowAsync(string name, DatasetManifest? manifest)
    {
        try
        {
            await ApplyAsync(name, manifest, CancellationToken.None);
            _behind.TryRemove(name, out _);
        }
        catch
        {
            _behind[name] = true;
            throw;
        }
    }

    async Task ApplyAsync(string name, DatasetManifest? manifest, CancellationToken cancellationToken)
    {
        if (manifest is null)
        {
            lock (_apply)
            {
                _engine.DropView(name);
                _lists.Remove(name);
            }
            return;
        }
        // Every kept version, the current one included, is readable as dataset_at(name, version). A
        // version's files never change, so only the files of versions new since the last change are fetched.
        var known = _lists.TryGet(name, out var before) ? before.Versions : new Dictionary<long, IReadOnlyList<string>>();
        var fresh = new[] { manifest.AsVersion() }.Concat(manifest.History ?? []).Where(v => !known.ContainsKey(v.Version)).ToList();
        // Kept versions share most of their files: each file is made local once, not once per version.
        var keys = fresh.SelectMany(v => v.Files.Select(f => f.Key)).Distinct(StringComparer.Ordinal).ToList();
        var local = keys.Zip(await _files.EnsureAsync(keys, cancellationToken)).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        var versions = new Dictionary<long, IReadOnlyList<string>>();
        foreach (var version in new[] { manifest.AsVersion() }.Concat(manifest.History ?? []))
        {
            versions[version.Version] = known.TryGetValue(version.Version, out var paths) ? paths : [.. version.Files.Select(f => local[f.Key])];
        }
        lock (_apply)
        {
            // The start-up pass and a change notification may race: the newer version wins.
            var hasView = _lists.TryGet(name, out var current);
            if (hasView && current.Current > manifest.Version) return;
            // Queries bound from here on read the new version: the view asks for its files whenever a query
            // is bound, so a change is no more than this. Only a new dataset needs its view made.
            _lists.Set(name, manifest.Version, versions);
            if (!hasView)
            {
                try
                {
                    _engine.SetView(name);
                }
                catch
                {
                    _lists.Remove(name); // so that the next attempt makes the view
                    throw;
                }
            }
        }
        _files.Evict(_lists.AllPaths);
    }
}
