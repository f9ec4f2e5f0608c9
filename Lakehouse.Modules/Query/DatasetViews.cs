using System.Collections.Concurrent;
using Lakehouse.Catalog;
using Lakehouse.Storage;

namespace Lakehouse.Query;

/// <summary>
/// Keeps one view per catalog dataset: built for every dataset at start, then changed by the
/// catalog's own change notifications, which complete before the catalog call returns, so the next
/// query sees an ingest, replace or delete at once. On the filesystem backend views read the
/// Parquet files in place; on S3 they read the read-through cache.
/// </summary>
internal sealed class DatasetViews(ICatalog catalog, IObjectStore store, QueryEngine engine, ParquetCache? cache)
{
    readonly ConcurrentDictionary<string, (long Version, IReadOnlyList<string> Paths)> _views = new(StringComparer.Ordinal);
    readonly Lock _apply = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        catalog.OnChanged(change => ApplyAsync(change.Name, change.Manifest, CancellationToken.None));
        foreach (var manifest in catalog.List()) await ApplyAsync(manifest.Name, manifest, cancellationToken);
    }

    async Task ApplyAsync(string name, DatasetManifest? manifest, CancellationToken cancellationToken)
    {
        if (manifest is null)
        {
            lock (_apply)
            {
                engine.DropView(name);
                _views.TryRemove(name, out _);
            }
            return;
        }
        var keys = manifest.Files.Select(f => f.Key).ToList();
        var paths = cache is null
            ? keys.Select(key => store.LocalPath(key) ?? throw new InvalidOperationException("The filesystem backend has a local path for every key.")).ToList()
            : await cache.EnsureAsync(keys, cancellationToken);
        lock (_apply)
        {
            // The start-up pass and a change notification may race: the newer version wins.
            if (_views.TryGetValue(name, out var current) && current.Version > manifest.Version) return;
            engine.SetView(name, paths);
            _views[name] = (manifest.Version, paths);
        }
        cache?.Evict(_views.Values.SelectMany(v => v.Paths).ToHashSet(StringComparer.Ordinal));
    }
}
