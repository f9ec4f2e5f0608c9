using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lakehouse.Common;

namespace Lakehouse.Storage;

/// <summary>
/// The storage module in another process, over its REST contract (docs/api.md, Storage): what a
/// process that does not host storage registers as its IObjectStore. Bodies stream both ways. Writes
/// of module-owned keys (_catalog/, _vectors/) need [remote] api_key to be a module key there.
/// </summary>
internal sealed class HttpObjectStore(RemoteModule remote) : IObjectStore
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The storage process answers a PUT once it has flushed the object: there is nothing to flush later.</summary>
    public Task<ObjectInfo> PutUnflushedAsync(string key, Stream content, CancellationToken cancellationToken) => PutAsync(key, content, cancellationToken);

    public async Task<ObjectInfo> PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        // The stream can be sent once only, unless it can be rewound.
        var start = content.CanSeek ? content.Position : 0;
        return await PutAsync(key, () =>
        {
            if (content.CanSeek) content.Position = start;
            return new BorrowedStreamContent(content);
        }, idempotent: content.CanSeek, cancellationToken);
    }

    public async Task<ObjectInfo> PutFileAsync(string key, string localPath, CancellationToken cancellationToken)
    {
        ObjectInfo info;
        await using (var file = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            info = await PutAsync(key, file, cancellationToken);
        }
        File.Delete(localPath);
        return info;
    }

    async Task<ObjectInfo> PutAsync(string key, Func<HttpContent> content, bool idempotent, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        using var response = await remote.SendAsync(() => new HttpRequestMessage(HttpMethod.Put, PathOf(key)) { Content = content() }, idempotent, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created) throw await remote.FailureOfAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<ObjectInfo>(Json, cancellationToken) ?? throw new InvalidDataException("The storage module answered a PUT with no object.");
    }

    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        using var response = await remote.SendAsync(() => new HttpRequestMessage(HttpMethod.Head, PathOf(key)), idempotent: true, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (response.StatusCode != HttpStatusCode.OK) throw await remote.FailureOfAsync(response, cancellationToken);
        return InfoOf(key, response, response.Content.Headers.ContentLength ?? throw new InvalidDataException("HEAD answered without a Content-Length."));
    }

    public async Task<ObjectContent?> GetAsync(string key, RangeRequest? range, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        var response = await remote.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, PathOf(key));
            if (range is { } r) request.Headers.Range = new RangeHeaderValue(r.From, r.To);
            return request;
        }, idempotent: true, cancellationToken);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent)) throw await remote.FailureOfAsync(response, cancellationToken);
            var length = response.Content.Headers.ContentLength ?? throw new InvalidDataException("GET answered without a Content-Length.");
            var (slice, size) = response.Content.Headers.ContentRange is { From: { } from, Length: { } total } && response.StatusCode == HttpStatusCode.PartialContent
                ? (new ByteRange(from, length), total)
                : (new ByteRange(0, length), length);
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new ObjectContent(InfoOf(key, response, size), slice, new ExactLengthStream(body, length));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task<ObjectPage> ListAsync(string prefix, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var query = $"v1/storage/objects?prefix={Uri.EscapeDataString(prefix)}&limit={limit.ToString(CultureInfo.InvariantCulture)}"
            + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
        using var response = await remote.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, query), idempotent: true, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK) throw await remote.FailureOfAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<ObjectPage>(Json, cancellationToken) ?? throw new InvalidDataException("The storage module answered a list with nothing.");
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        using var response = await remote.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, PathOf(key)), idempotent: true, cancellationToken);
        if (response.StatusCode != HttpStatusCode.NoContent) throw await remote.FailureOfAsync(response, cancellationToken);
    }

    public string? LocalPath(string key) => null;

    public string? LocalFolder => null;

    public string Location => new Uri(remote.BaseAddress, "v1/storage/objects/").AbsoluteUri;

    static string PathOf(string key) => "v1/storage/objects/" + Uri.EscapeDataString(key).Replace("%2F", "/", StringComparison.Ordinal);

    static ObjectInfo InfoOf(string key, HttpResponseMessage response, long size) => new(
        key,
        size,
        response.Headers.ETag?.Tag.Trim('"') ?? "",
        response.Content.Headers.LastModified ?? DateTimeOffset.MinValue);

    /// <summary>A request body read from a stream the caller still owns (StreamContent would dispose it, ruling out a retry).</summary>
    sealed class BorrowedStreamContent(Stream stream) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream target, TransportContext? context) => SerializeToStreamAsync(target, context, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream target, TransportContext? context, CancellationToken cancellationToken) =>
            stream.CopyToAsync(target, 1 << 16, cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            length = stream.CanSeek ? stream.Length - stream.Position : 0;
            return stream.CanSeek;
        }
    }
}
