using System.Collections.Concurrent;
using System.Globalization;
using Lakehouse.Common;

namespace Lakehouse.Storage;

/// <summary>
/// Objects as plain files under a root folder, laid out as their keys read (datasets/x/y.parquet),
/// so that DuckDB reads them in place. Writes go to a temp file, are fsync'ed and renamed over the
/// target, which is atomic on POSIX. The ETag is derived from size and modification time, so it is
/// stable across restarts without hashing every byte.
/// </summary>
internal sealed class FileSystemObjectStore : IObjectStore
{
    // In-flight writes live here; a module-owned name, so the API cannot write into it. Hidden from GET
    // and list. Leftovers of a crash are swept at start once an hour old: another process on the same
    // root may still be writing the newer ones.
    const string TempFolder = "_tmp";
    static readonly TimeSpan StaleTemp = TimeSpan.FromHours(1);

    readonly string _root;
    readonly string _temp;

    // Paths of objects PutUnflushedAsync stored whose bytes may still be only in the OS's cache: the next
    // PutAsync flushes them before its own object becomes visible.
    readonly ConcurrentDictionary<string, byte> _unflushed = new(StringComparer.Ordinal);

    public FileSystemObjectStore(string root)
    {
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _temp = Path.Combine(_root, TempFolder);
        Directory.CreateDirectory(_temp);
    }

    /// <summary>Deletes the in-flight writes a crashed process left, once an hour old (run at start by <see cref="StorageInitializer"/>).</summary>
    public void RemoveStaleTempFiles()
    {
        foreach (var stale in new DirectoryInfo(_temp).EnumerateFiles().Where(f => DateTime.UtcNow - f.LastWriteTimeUtc > StaleTemp))
        {
            stale.Delete();
        }
    }

    public Task<ObjectInfo> PutAsync(string key, Stream content, CancellationToken cancellationToken) => WriteAsync(key, content, flush: true, cancellationToken);

    public Task<ObjectInfo> PutUnflushedAsync(string key, Stream content, CancellationToken cancellationToken) => WriteAsync(key, content, flush: false, cancellationToken);

    async Task<ObjectInfo> WriteAsync(string key, Stream content, bool flush, CancellationToken cancellationToken)
    {
        var target = PathOf(key);
        var temp = Path.Combine(_temp, Guid.NewGuid().ToString("N"));
        try
        {
            if (content is MemoryStream inMemory)
            {
                // Already whole (a manifest, Iceberg metadata, a small file's Parquet): one write on this thread.
                // The streaming copy below cost these small objects two 4 MiB buffers, a write-back call
                // and thread hops each, for bytes a single write takes.
                using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
                inMemory.CopyTo(file);
                if (flush) FlushWithEarlier(file);
            }
            else
            {
                await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
                await OverlappedCopy.CopyAsync(content, file, cancellationToken, (offset, length) => Writeback.Start(file.SafeFileHandle, offset, length));
                if (flush) FlushWithEarlier(file);
            }
            MoveIntoPlace(temp, target, key);
            if (!flush) _unflushed.TryAdd(target, 0);
        }
        catch (Exception e)
        {
            File.Delete(temp);
            if (RootFull(e, key) is { } full) throw full;
            throw;
        }
        return Info(key, new FileInfo(target));
    }

    /// <summary>
    /// Puts <paramref name="file"/>'s bytes on the disk, and first those of every object stored unflushed
    /// before it: one syncfs when there are any (Linux; it makes their renames durable too), else an
    /// fsync each. Alone, an fsync of the file itself, which leaves other writes on the file system to
    /// their own pace.
    /// </summary>
    void FlushWithEarlier(FileStream file)
    {
        if (_unflushed.IsEmpty)
        {
            file.Flush(flushToDisk: true);
            return;
        }
        var earlier = _unflushed.Keys;
        if (!FileSystemSync.TryRun(file.SafeFileHandle))
        {
            foreach (var path in earlier) FlushFile(path);
            file.Flush(flushToDisk: true);
        }
        foreach (var path in earlier) _unflushed.TryRemove(path, out _);
    }

    static void FlushFile(string path)
    {
        try
        {
            using var earlier = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            earlier.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Deleted since: nothing of it left to keep.
        }
    }

    public Task<ObjectInfo> PutFileAsync(string key, string localPath, CancellationToken cancellationToken)
    {
        var target = PathOf(key);
        var temp = Path.Combine(_temp, Guid.NewGuid().ToString("N"));
        try
        {
            // A rename when the file is on our file system; File.Move copies across file systems.
            File.Move(localPath, temp);
            using (var file = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 0))
            {
                FlushWithEarlier(file);
            }
            MoveIntoPlace(temp, target, key);
        }
        catch (Exception e)
        {
            File.Delete(temp);
            if (RootFull(e, key) is { } full) throw full;
            throw;
        }
        return Task.FromResult(Info(key, new FileInfo(target)));
    }

    void MoveIntoPlace(string temp, string target, string key)
    {
        // A concurrent delete may prune the (empty) parent folder between create and rename: retry.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                if (Directory.Exists(target)) throw KeyConflict(key);
                File.Move(temp, target, overwrite: true);
                return;
            }
            catch (DirectoryNotFoundException) when (attempt < 10)
            {
            }
            catch (IOException e) when (e is not DirectoryNotFoundException && FileOnThePath(key) is { } file)
            {
                throw KeyConflict(key, file, e);
            }
        }
    }

    /// <summary>A write that failed for want of space (ENOSPC, EDQUOT) as a 507 the operator can act on; null for any other failure.</summary>
    ProblemException? RootFull(Exception e, string key) =>
        DiskFull.Caused(e)
            ? ProblemException.InsufficientStorage($"The storage root {_root} is full (or over quota); '{key}' was not stored and nothing changed. Free space or move storage.root.", e)
            : null;

    // A file system cannot hold both "a" and "a/b"; S3 can. Say so rather than fail obscurely.
    static ProblemException KeyConflict(string key, string? other = null, Exception? inner = null) =>
        new(409, "Conflict", other is null
            ? $"Key '{key}' names a folder of other objects on the filesystem backend; choose another key."
            : $"Key '{key}' cannot be stored on the filesystem backend because object '{other}' occupies a folder it needs.", inner);

    string? FileOnThePath(string key)
    {
        var segments = key.Split('/');
        for (var i = 1; i < segments.Length; i++)
        {
            var prefix = string.Join('/', segments[..i]);
            if (File.Exists(PathOf(prefix))) return prefix;
        }
        return null;
    }

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        if (IsHidden(key)) return Task.FromResult<ObjectInfo?>(null);
        var file = new FileInfo(PathOf(key));
        return Task.FromResult(file.Exists ? Info(key, file) : null);
    }

    public Task<ObjectContent?> GetAsync(string key, RangeRequest? range, CancellationToken cancellationToken)
    {
        if (IsHidden(key)) return Task.FromResult<ObjectContent?>(null);
        FileStream stream;
        try
        {
            // FileShare.Delete: a reader never blocks a replace or delete of the object.
            stream = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return Task.FromResult<ObjectContent?>(null);
        }
        var info = new ObjectInfo(key, stream.Length, ETagOf(stream.Length, File.GetLastWriteTimeUtc(stream.SafeFileHandle)),
            File.GetLastWriteTimeUtc(stream.SafeFileHandle));
        var slice = range is { } requested ? requested.Resolve(info.Size) : new ByteRange(0, info.Size);
        if (slice is null)
        {
            stream.Dispose();
            throw StorageErrors.RangeOutside(key, range!.Value, info.Size);
        }
        stream.Position = slice.Value.Offset;
        return Task.FromResult<ObjectContent?>(new ObjectContent(info, slice.Value, stream));
    }

    public Task<ObjectPage> ListAsync(string prefix, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var objects = Walk(_root, "", prefix, cursor).Take(limit + 1).ToList();
        var more = objects.Count > limit;
        if (more) objects.RemoveAt(limit);
        return Task.FromResult(new ObjectPage(objects, more ? objects[^1].Key : null));
    }

    /// <summary>
    /// Yields objects in UTF-8 key order: each folder's entries are sorted as the keys they lead to
    /// (a folder "a" sorts as "a/", after "a-b"), and folders that cannot hold a key matching the
    /// prefix or following the cursor are never opened.
    /// </summary>
    IEnumerable<ObjectInfo> Walk(string folder, string keyPrefix, string prefix, string? cursor)
    {
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(folder).EnumerateFileSystemInfos().ToList();
        }
        catch (DirectoryNotFoundException)
        {
            yield break;
        }
        var ordered = entries
            .Select(e => (Entry: e, Key: keyPrefix + e.Name + (e is DirectoryInfo ? "/" : "")))
            .Where(e => keyPrefix.Length > 0 || e.Key != TempFolder + "/")
            .OrderBy(e => e.Key, Utf8Order.Instance);
        foreach (var (entry, key) in ordered)
        {
            if (entry is DirectoryInfo)
            {
                if (!key.StartsWith(prefix, StringComparison.Ordinal) && !prefix.StartsWith(key, StringComparison.Ordinal)) continue;
                if (cursor is not null && !cursor.StartsWith(key, StringComparison.Ordinal) && Utf8Order.Instance.Compare(key, cursor) < 0) continue;
                foreach (var info in Walk(entry.FullName, key, prefix, cursor)) yield return info;
            }
            else if (key.StartsWith(prefix, StringComparison.Ordinal) && (cursor is null || Utf8Order.Instance.Compare(key, cursor) > 0))
            {
                var file = (FileInfo)entry;
                if (file.Exists) yield return Info(key, file);
            }
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        if (IsHidden(key)) return Task.CompletedTask;
        var path = PathOf(key);
        try
        {
            if (!File.Exists(path)) return Task.CompletedTask;
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.CompletedTask;
        }
        PruneEmptyFolders(Path.GetDirectoryName(path)!);
        return Task.CompletedTask;
    }

    void PruneEmptyFolders(string folder)
    {
        while (folder.Length > _root.Length && folder.StartsWith(_root, StringComparison.Ordinal))
        {
            try
            {
                Directory.Delete(folder);
            }
            catch (IOException)
            {
                return; // not empty (or already gone): stop here
            }
            folder = Path.GetDirectoryName(folder)!;
        }
    }

    public string? LocalPath(string key) => PathOf(key);

    public string? LocalFolder => _root;

    public string Location => new Uri(_root + Path.DirectorySeparatorChar).AbsoluteUri;

    string PathOf(string key)
    {
        ObjectKeys.Validate(key);
        var path = Path.Join(_root, key);
        // Validation already rules out '..' and absolute keys; this is the belt to those braces.
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw ProblemException.BadRequest($"Key '{key}' escapes the storage root.");
        }
        return path;
    }

    static bool IsHidden(string key) => key.StartsWith(TempFolder + "/", StringComparison.Ordinal) || key == TempFolder;

    static ObjectInfo Info(string key, FileInfo file) =>
        new(key, file.Length, ETagOf(file.Length, file.LastWriteTimeUtc), file.LastWriteTimeUtc);

    static string ETagOf(long size, DateTime modifiedUtc) =>
        string.Create(CultureInfo.InvariantCulture, $"{size:x}-{modifiedUtc.Ticks:x}");
}
