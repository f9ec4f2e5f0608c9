using System.Text.Json.Serialization;

namespace Lakehouse.Storage;

/// <summary>The storage module's façade: a flat namespace of immutable-per-write objects, like S3.</summary>
public interface IObjectStore
{
    /// <summary>
    /// Stores <paramref name="content"/> under <paramref name="key"/> atomically: readers see the old
    /// object or the new one, never a part. On any failure (including the content stream throwing,
    /// e.g. over a size limit) nothing is stored. Its bytes are on the disk before it is visible, and
    /// so are those of every object <see cref="PutUnflushedAsync"/> stored before it.
    /// </summary>
    Task<ObjectInfo> PutAsync(string key, Stream content, CancellationToken cancellationToken);

    /// <summary>
    /// Stores as <see cref="PutAsync"/> does, visible at once, but may leave the bytes in the operating
    /// system's cache until the next <see cref="PutAsync"/> or <see cref="PutFileAsync"/>: safe from a
    /// killed process at once, from a power loss only then. For the objects of a commit whose last
    /// write (the manifest that names them) is a <see cref="PutAsync"/>: the disk then flushes once
    /// per commit, not once per object. Stores that make every write durable treat it as PutAsync.
    /// The next flushed write of the process that hosts the storage is what covers it: in a split
    /// deployment the other processes' writes go through that process.
    /// </summary>
    Task<ObjectInfo> PutUnflushedAsync(string key, Stream content, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a local file under <paramref name="key"/> as <see cref="PutAsync"/> does, taking the
    /// file over: it is moved rather than copied where the backend can, and is gone afterwards.
    /// </summary>
    Task<ObjectInfo> PutFileAsync(string key, string localPath, CancellationToken cancellationToken);

    /// <summary>The object's metadata, or null when it does not exist.</summary>
    Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the object, or the requested byte range of it, for streaming; null when it does not
    /// exist. Its info and range describe the very bytes the stream yields (one read, not a stat and
    /// then a read that an overwrite in between could make disagree); a range the object does not
    /// reach is a 416. The stream fails rather than end early.
    /// </summary>
    Task<ObjectContent?> GetAsync(string key, RangeRequest? range, CancellationToken cancellationToken);

    /// <summary>Keys starting with <paramref name="prefix"/> after <paramref name="cursor"/>, in ascending UTF-8 byte order.</summary>
    Task<ObjectPage> ListAsync(string prefix, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Removes the object; succeeds when it did not exist.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// The path of a local file holding the object's bytes when the backend keeps them on this
    /// machine (the filesystem backend), so that DuckDB can read them in place; otherwise null.
    /// </summary>
    string? LocalPath(string key);

    /// <summary>The folder under which <see cref="LocalPath"/> finds every object, or null when objects are not on this machine.</summary>
    string? LocalFolder { get; }

    /// <summary>
    /// Where the objects live, as a URI ending in '/' under which a key names its object:
    /// file:///root/, s3://bucket/, or another process's storage API.
    /// </summary>
    string Location { get; }
}

public sealed record ObjectInfo(string Key, long Size, [property: JsonPropertyName("etag")] string ETag, DateTimeOffset LastModified);

public sealed record ObjectPage(IReadOnlyList<ObjectInfo> Objects, string? NextCursor);

/// <summary>An inclusive-exclusive byte range: <see cref="Length"/> bytes from <see cref="Offset"/>.</summary>
public readonly record struct ByteRange(long Offset, long Length)
{
    public long Last => Offset + Length - 1;
}

/// <summary>A byte range as HTTP asks for one: From..To inclusive, From to the end (To null), or the last To bytes (From null).</summary>
public readonly record struct RangeRequest(long? From, long? To)
{
    /// <summary>The bytes this asks for of an object of <paramref name="size"/> bytes, or null when it reaches none of them.</summary>
    public ByteRange? Resolve(long size)
    {
        var (from, to) = From is { } start ? (start, Math.Min(To ?? size - 1, size - 1)) : (Math.Max(0, size - (To ?? 0)), size - 1);
        return from >= size || to < from ? null : new ByteRange(from, to - from + 1);
    }

    public override string ToString() => $"bytes={From}-{To}";
}

/// <summary>An open object: <see cref="Stream"/> yields exactly the bytes of <see cref="Range"/>.</summary>
public sealed class ObjectContent(ObjectInfo info, ByteRange range, Stream stream) : IAsyncDisposable
{
    public ObjectInfo Info { get; } = info;
    public ByteRange Range { get; } = range;
    public Stream Stream { get; } = stream;

    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}
