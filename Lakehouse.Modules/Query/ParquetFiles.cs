using System.Security.Cryptography;
using System.Text;
using Lakehouse.Storage;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Query;

/// <summary>
/// Local paths DuckDB can read for dataset files. On the filesystem backend the objects themselves;
/// otherwise (S3, or storage in another process) copies in a read-through cache, because DuckDB reads
/// files, not our streams (its httpfs extension cannot be installed offline). A copy is named by key
/// and ETag, so a changed object is a new file; it is downloaded under a temp name and renamed, so a
/// query never sees half a file. Beyond the size limit, the least recently used copies that no view
/// needs are removed.
/// </summary>
internal sealed class ParquetFiles
{
    readonly IObjectStore _store;
    readonly long _maxBytes;
    readonly ILogger _logger;
    readonly bool _cached;

    /// <param name="cacheFolder">Where copies go when storage is not local; empty: a folder under the temp dir named after the storage's location.</param>
    public ParquetFiles(IObjectStore store, string cacheFolder, long maxBytes, ILogger<ParquetFiles> logger)
    {
        (_store, _maxBytes, _logger) = (store, maxBytes, logger);
        _cached = store.LocalFolder is null;
        Folder = store.LocalFolder ?? Directory.CreateDirectory(cacheFolder.Length > 0 ? cacheFolder
            : Path.Combine(Path.GetTempPath(), "lakehouse-query-cache", Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(store.Location)))[..16])).FullName;
    }

    /// <summary>The one folder every path this hands out is under: the only place DuckDB may read.</summary>
    public string Folder { get; }

    /// <summary>Local paths for <paramref name="keys"/>, downloading (in parallel) the ones not cached yet.</summary>
    public async Task<IReadOnlyList<string>> EnsureAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (!_cached) return [.. keys.Select(key => _store.LocalPath(key)!)];
        var paths = new string[keys.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (i, token) => paths[i] = await EnsureAsync(keys[i], token));
        return paths;
    }

    async Task<string> EnsureAsync(string key, CancellationToken cancellationToken)
    {
        var info = await _store.HeadAsync(key, cancellationToken) ?? throw new FileNotFoundException($"Dataset file '{key}' is missing from storage.");
        var cached = PathFor(key, info.ETag);
        if (File.Exists(cached))
        {
            File.SetLastAccessTimeUtc(cached, DateTime.UtcNow);
            return cached;
        }
        await using var content = await _store.GetAsync(key, null, cancellationToken) ?? throw new FileNotFoundException($"Dataset file '{key}' is missing from storage.");
        // Named by the ETag of the bytes downloaded, not the stat's: an overwrite in between must not
        // file new bytes under the old version's name.
        var path = PathFor(key, content.Info.ETag);
        var partial = path + "." + Guid.NewGuid().ToString("N") + ".part";
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await content.Stream.CopyToAsync(file, 1 << 20, cancellationToken);
            }
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
        return path;
    }

    string PathFor(string key, string etag) =>
        Path.Combine(Folder, $"{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32]}-{Sanitize(etag)}.parquet");

    /// <summary>
    /// Removes least recently used copies beyond the limit, never one of the <paramref name="pinned"/>
    /// paths. Those are asked for only when something must go: every kept version's paths of every
    /// dataset, which no change should pay for while the cache is off or under its limit.
    /// </summary>
    public void Evict(Func<IReadOnlySet<string>> pinned)
    {
        if (!_cached) return;
        var files = new DirectoryInfo(Folder).EnumerateFiles("*.parquet").OrderBy(f => f.LastAccessTimeUtc).ToList();
        var total = files.Sum(f => f.Length);
        if (total <= _maxBytes) return;
        var keep = pinned();
        foreach (var file in files)
        {
            if (total <= _maxBytes) break;
            if (keep.Contains(file.FullName)) continue;
            try
            {
                file.Delete();
                total -= file.Length;
            }
            catch (IOException e)
            {
                _logger.LogWarning(e, "Could not evict cached file {Path}", file.FullName);
            }
        }
    }

    static string Sanitize(string etag) => new([.. etag.Where(char.IsAsciiLetterOrDigit)]);
}
