using Lakehouse.Common;

namespace Lakehouse.Storage;

/// <summary>
/// An object's bytes as a local file: the object itself on the filesystem backend, a temp copy
/// (removed on dispose) on S3. For tools such as DuckDB that read paths, not streams.
/// </summary>
public sealed class LocalFile : IAsyncDisposable
{
    readonly bool _temporary;

    LocalFile(string path, bool temporary)
    {
        Path = path;
        _temporary = temporary;
    }

    public string Path { get; }

    /// <summary>The local file for <paramref name="key"/>, or null when the object does not exist.</summary>
    public static async Task<LocalFile?> OpenAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        if (store.LocalPath(key) is { } local) return File.Exists(local) ? new LocalFile(local, temporary: false) : null;
        await using var content = await store.GetAsync(key, null, cancellationToken);
        if (content is null) return null;
        var path = ScratchFiles.NewFile("object", System.IO.Path.GetExtension(key));
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await OverlappedCopy.CopyAsync(content.Stream, file, cancellationToken);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        return new LocalFile(path, temporary: true);
    }

    public ValueTask DisposeAsync()
    {
        if (_temporary) File.Delete(Path);
        return ValueTask.CompletedTask;
    }
}
