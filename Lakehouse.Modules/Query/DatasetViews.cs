using System.Collections.Concurrent;
using Lakehouse.Catalog;
using Lakehouse.Common;
using Lakehouse.Storage;

namespace Lakehouse.Query;

/// <summary>
/// Keeps one view per catalog dataset: built for every dataset at start, then changed by the
/// catalog's own change notifications, which complete before the catalog call returns, so the next
/// query sees an ingest, replace or delete at once. On the filesystem backend views read the
/// Parquet files in place; on S3 they read the read-through cache.
/// </summary>
internal sealed class DatasetViews
{
    readonly ConcurrentDictionary<string, (long Version, IReadOnlyList<string> Paths)> _views = new(StringComparer.Ordinal);
    readonly Lock _apply = new();
    readonly ICatalog _catalog;
    readonly IObjectStore _store;
    readonly QueryEngine _engine;
    readonly ParquetCache? _cache;
    readonly LoadOnce _started;

    public DatasetViews(ICatalog catalog, IObjectStore store, QueryEngine engine, ParquetCache? cache)
    {
        (_catalog, _store, _engine, _cache) = (catalog, store, engine, cache);
        // Subscribed first, so no change between the start-up pass and now is missed (a newer version wins).
        catalog.OnChanged(change => ApplyAsync(change.Name, change.Manifest, CancellationToken.None));
        _started = new LoadOnce(async () =>
        {
            foreach (var manifest in catalog.List()) await ApplyAsync(manifest.Name, manifest, CancellationToken.None);
        });
    }

    /// <summary>Every dataset has its view; queries wait for this, so none fails on a view still being built at start.</summary>
    public Task EnsureStartedAsync() => _started.EnsureAsync();

    async Task ApplyAsync(string name, DatasetManifest? manifest, CancellationToken cancellationToken)
    {
        if (manifest is null)
        {
            lock (_apply)
            {
                _engine.DropView(name);
                _views.TryRemove(name, out _);
            }
            return;
        }
        var keys = manifest.Files.Select(f => f.Key).ToList();
        var paths = _cache is null
            ? keys.Select(key => _store.LocalPath(key) ?? throw new InvalidOperationException("The filesystem backend has a local path for every key.")).ToList()
            : await _cache.EnsureAsync(keys, cancellationToken);
        lock (_apply)
        {
            // The start-up pass and a change notification may race: the newer version wins.
            if (_views.TryGetValue(name, out var current) && current.Version > manifest.Version) return;
            _engine.SetView(name, paths);
            _views[name] = (manifest.Version, paths);
        }
        _cache?.Evict(_views.Values.SelectMany(v => v.Paths).ToHashSet(StringComparer.Ordinal));
    }
}
