using System.Net;
using System.Net.Http.Headers;
using Lakehouse.Common;
using Microsoft.AspNetCore.Http;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;

namespace Lakehouse.Storage;

/// <summary>
/// Objects in an S3-compatible bucket through the Minio SDK. Reads go through presigned URLs and
/// our own HttpClient: Minio 7.0.0 throws on every ranged GET (docs/dependencies.md), and a presigned GET also
/// hands back a plain response stream instead of Minio's callback. Writes of unknown length are
/// spooled to a temp file first so that a size limit trips before anything reaches the bucket;
/// the SDK then uploads in parts from 5 MiB on.
/// </summary>
internal sealed class S3ObjectStore : IObjectStore, IDisposable
{
    readonly IMinioClient _client;
    readonly HttpClient _http = new(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None });
    readonly string _bucket;

    S3ObjectStore(IMinioClient client, string bucket)
    {
        _client = client;
        _bucket = bucket;
    }

    /// <summary>A client for the bucket; nothing is sent until <see cref="EnsureBucketAsync"/> or the first call.</summary>
    public static S3ObjectStore Create(S3Section options)
    {
        var endpoint = new Uri(options.Endpoint);
        // Minio's SDK addresses buckets path-style for every endpoint but AWS's own, which is what
        // use_path_style = true asks for; virtual-host style is left to AWS endpoints.
        var client = new MinioClient()
            .WithEndpoint(endpoint.Host, endpoint.Port)
            .WithSSL(endpoint.Scheme == Uri.UriSchemeHttps)
            .WithRegion(options.Region)
            .WithCredentials(options.AccessKeyId, options.SecretAccessKey)
            .Build();
        return new S3ObjectStore(client, options.Bucket);
    }

    Task? _bucketReady;

    /// <summary>
    /// Creates the bucket when it is missing: at start (the module's initializer, retried until S3
    /// answers) and before the first call of each operation, so no request can race the start-up.
    /// A failed attempt is forgotten, so the next call tries again.
    /// </summary>
    public Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        var ready = _bucketReady;
        if (ready is { IsFaulted: false, IsCanceled: false }) return ready;
        return _bucketReady = CreateBucketAsync(cancellationToken);
    }

    async Task CreateBucketAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await _client.BucketExistsAsync(new BucketExistsArgs().WithBucket(_bucket), cancellationToken)) return;
            try
            {
                await _client.MakeBucketAsync(new MakeBucketArgs().WithBucket(_bucket), cancellationToken);
            }
            catch (MinioException)
            {
                // Another process may have created it in between; if not, this says why.
                if (!await _client.BucketExistsAsync(new BucketExistsArgs().WithBucket(_bucket), cancellationToken)) throw;
            }
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    /// <summary>S3 answers a PUT once it has stored the object durably: there is nothing to flush later.</summary>
    public Task<ObjectInfo> PutUnflushedAsync(string key, Stream content, CancellationToken cancellationToken) => PutAsync(key, content, cancellationToken);

    public async Task<ObjectInfo> PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        await EnsureBucketAsync(CancellationToken.None);
        if (content.CanSeek)
        {
            await UploadAsync(key, content, content.Length - content.Position, cancellationToken);
        }
        else
        {
            var spool = ScratchFiles.NewFile("s3-upload");
            await using var file = new FileStream(spool, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
                FileOptions.DeleteOnClose);
            await content.CopyToAsync(file, 1 << 20, cancellationToken);
            file.Position = 0;
            await UploadAsync(key, file, file.Length, cancellationToken);
        }
        return await HeadAsync(key, cancellationToken) ?? throw new IOException($"Object '{key}' vanished right after it was written.");
    }

    public async Task<ObjectInfo> PutFileAsync(string key, string localPath, CancellationToken cancellationToken)
    {
        ObjectInfo info;
        await using (var file = File.OpenRead(localPath))
        {
            info = await PutAsync(key, file, cancellationToken);
        }
        File.Delete(localPath);
        return info;
    }

    async Task UploadAsync(string key, Stream data, long size, CancellationToken cancellationToken)
    {
        var start = data.Position;
        await RetryingAsync(() =>
        {
            data.Position = start;
            return _client.PutObjectAsync(new PutObjectArgs().WithBucket(_bucket).WithObject(key).WithStreamData(data).WithObjectSize(size)
                .WithContentType("application/octet-stream"), cancellationToken);
        }, cancellationToken);
    }

    /// <summary>
    /// Runs an idempotent call (a whole PUT from a seekable stream, a HEAD, a DELETE, a listing page)
    /// again after a dropped connection or a 5xx, as AWS's own SDKs do: S3 answers "InternalError,
    /// please try again" now and then, and a connection the server closes as we send fails without an
    /// answer. Small writes back to back (a vector delta per batch) beside listings and deletes met
    /// both on s3rver. A not-found is not retried; three failures in a row are a 503.
    /// </summary>
    static async Task<T> RetryingAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsUnavailable(e) && attempt < 3 && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(50 * attempt, cancellationToken);
            }
            catch (Exception e) when (IsUnavailable(e))
            {
                throw Unavailable(e);
            }
        }
    }

    static Task RetryingAsync(Func<Task> call, CancellationToken cancellationToken) => RetryingAsync(async () =>
    {
        await call();
        return true;
    }, cancellationToken);

    /// <summary>
    /// A backend that cannot be reached or refuses us is the operator's problem, not the client's: 503.
    /// A connection reset right after connect escapes HttpClient as a bare SocketException (seen when
    /// the path to S3 dropped), and one during a transfer as an IOException, so both count.
    /// </summary>
    static bool IsUnavailable(Exception e) =>
        e is HttpRequestException or System.Net.Sockets.SocketException or IOException || (e is MinioException && e is not ObjectNotFoundException);

    static ProblemException Unavailable(Exception e) =>
        new(StatusCodes.Status503ServiceUnavailable, "Storage unavailable", $"The S3 backend did not answer as expected: {e.Message}", e);

    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        await EnsureBucketAsync(CancellationToken.None);
        try
        {
            var stat = await RetryingAsync(() => _client.StatObjectAsync(new StatObjectArgs().WithBucket(_bucket).WithObject(key), cancellationToken), cancellationToken);
            return new ObjectInfo(key, stat.Size, stat.ETag.Trim('"'), new DateTimeOffset(stat.LastModified.ToUniversalTime(), TimeSpan.Zero));
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// One GET, whose own headers give the size, ETag and range of the bytes it streams: a stat first
    /// and a read after could describe two different versions of an overwritten object. A suffix
    /// range (the last n bytes) needs the size first, because s3rver reads "bytes=-n" as the first
    /// n bytes; the GET then asks for explicit offsets and is retried if the size moved meanwhile.
    /// </summary>
    public async Task<ObjectContent?> GetAsync(string key, RangeRequest? range, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        await EnsureBucketAsync(CancellationToken.None);
        for (var attempt = 0; ; attempt++)
        {
            long? expectedSize = null;
            var asked = range;
            if (range is { From: null, To: { } suffix })
            {
                expectedSize = (await HeadAsync(key, cancellationToken))?.Size;
                if (expectedSize is not { } size) return null;
                asked = new RangeRequest(Math.Max(0, size - suffix), null);
            }
            HttpResponseMessage response;
            try
            {
                var url = await _client.PresignedGetObjectAsync(new PresignedGetObjectArgs().WithBucket(_bucket).WithObject(key).WithExpiry(600));
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (asked is { } r) request.Headers.Range = new RangeHeaderValue(r.From, r.To);
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (Exception e) when (IsUnavailable(e))
            {
                throw Unavailable(e);
            }
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                response.Dispose();
                return null;
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                response.Dispose();
                throw StorageErrors.RangeOutside(key, range!.Value, expectedSize);
            }
            if (!response.IsSuccessStatusCode)
            {
                response.Dispose();
                throw Unavailable(new HttpRequestException($"GET {key} answered {(int)response.StatusCode}"));
            }
            var (info, slice) = Described(key, response);
            if (expectedSize is { } before && info.Size != before && attempt < 3)
            {
                response.Dispose(); // overwritten between the size and the read: ask again
                continue;
            }
            if (range is not null && response.StatusCode != HttpStatusCode.PartialContent)
            {
                response.Dispose();
                throw Unavailable(new HttpRequestException($"GET {key} ignored the range it was asked for"));
            }
            return new ObjectContent(info, slice, new ExactLengthStream(await response.Content.ReadAsStreamAsync(cancellationToken), slice.Length));
        }
    }

    /// <summary>The object and the byte range a GET response carries, from its own headers.</summary>
    static (ObjectInfo Info, ByteRange Slice) Described(string key, HttpResponseMessage response)
    {
        var headers = response.Content.Headers;
        var etag = response.Headers.ETag?.Tag.Trim('"') ?? throw Unavailable(new HttpRequestException($"GET {key} answered without an ETag"));
        var modified = headers.LastModified ?? DateTimeOffset.UnixEpoch;
        if (headers.ContentRange is { From: { } from, To: { } to, Length: { } total })
        {
            return (new ObjectInfo(key, total, etag, modified), new ByteRange(from, to - from + 1));
        }
        var size = headers.ContentLength ?? throw Unavailable(new HttpRequestException($"GET {key} answered without a length"));
        return (new ObjectInfo(key, size, etag, modified), new ByteRange(0, size));
    }

    public async Task<ObjectPage> ListAsync(string prefix, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await EnsureBucketAsync(CancellationToken.None);
        // Minio 7.0.0 has no start-after: pages before the cursor are read and skipped.
        var args = new ListObjectsArgs().WithBucket(_bucket).WithPrefix(prefix).WithRecursive(true);
        var objects = await RetryingAsync(async () =>
        {
            var page = new List<ObjectInfo>(Math.Min(limit + 1, 1024));
            await foreach (var item in _client.ListObjectsEnumAsync(args, cancellationToken))
            {
                if (item.IsDir || (cursor is not null && Utf8Order.Instance.Compare(item.Key, cursor) <= 0)) continue;
                page.Add(new ObjectInfo(item.Key, (long)item.Size, item.ETag.Trim('"'),
                    new DateTimeOffset(item.LastModifiedDateTime?.ToUniversalTime() ?? DateTime.UnixEpoch, TimeSpan.Zero)));
                if (page.Count > limit) break;
            }
            return page;
        }, cancellationToken);
        var more = objects.Count > limit;
        if (more) objects.RemoveAt(limit);
        return new ObjectPage(objects, more ? objects[^1].Key : null);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        await EnsureBucketAsync(CancellationToken.None);
        await RetryingAsync(() => _client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(_bucket).WithObject(key), cancellationToken), cancellationToken);
    }

    public string? LocalPath(string key) => null;

    public string? LocalFolder => null;

    public string Location => $"s3://{_bucket}/";

    public void Dispose()
    {
        _http.Dispose();
        _client.Dispose();
    }
}
