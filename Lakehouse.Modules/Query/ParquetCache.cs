using System.Security.Cryptography;
using System.Text;
using Lakehouse.Storage;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Query;

/// <summary>
/// The S3 backend's local copies of Parquet objects, for DuckDB to read as files (its httpfs
/// extension cannot be installed offline). A copy is named by key and ETag, so a changed object is
/// a new file; it is downloaded under a temp name and renamed, so a query never sees half a file.
/// Beyond the size limit, the least recently used files that no view needs are removed.
/// </summary>
internal sealed class ParquetCache(IObjectStore store, string folder, long maxBytes, ILogger logger)
{
    public string Folder { get; } = Directory.CreateDirectory(folder).FullName;

    /// <summary>Local paths for <paramref name="keys"/>, downloading (in parallel) the ones not cached yet.</summary>
    public async Task<IReadOnlyList<string>> EnsureAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var paths = new string[keys.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (i, token) => paths[i] = await EnsureAsync(keys[i], token));
        return paths;
    }

    async Task<string> EnsureAsync(string key, CancellationToken cancellationToken)
    {
        var info = await store.HeadAsync(key, cancellationToken) ?? throw new FileNotFoundException($"Dataset file '{key}' is missing from storage.");
        var cached = PathFor(key, info.ETag);
        if (File.Exists(cached))
        {
            File.SetLastAccessTimeUtc(cached, DateTime.UtcNow);
            return cached;
        }
        await using var content = await store.GetAsync(key, null, cancellationToken) ?? throw new FileNotFoundException($"Dataset file '{key}' is missing from storage.");
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

    /// <summary>Removes least recently used copies beyond the limit, never one in <paramref name="pinned"/>.</summary>
    public void Evict(IReadOnlySet<string> pinned)
    {
        var files = new DirectoryInfo(Folder).EnumerateFiles("*.parquet").OrderBy(f => f.LastAccessTimeUtc).ToList();
        var total = files.Sum(f => f.Length);
        foreach (var file in files)
        {
            if (total <= maxBytes) break;
            if (pinned.Contains(file.FullName)) continue;
            try
            {
                file.Delete();
                total -= file.Length;
            }
            catch (IOException e)
            {
                logger.LogWarning(e, "Could not evict cached file {Path}", file.FullName);
            }
        }
    }

    static string Sanitize(string etag) => new([.. etag.Where(char.IsAsciiLetterOrDigit)]);
}
