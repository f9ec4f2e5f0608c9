using System.Globalization;
using Lakehouse.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace Lakehouse.Storage;

internal static class StorageEndpoints
{
    public const string ObjectsPath = "/v1/storage/objects/";
    const int DefaultListLimit = 1000;
    const int MaxListLimit = 10000;

    public static void Map(RouteGroupBuilder group)
    {
        // The raw bodies are read and written by hand; their shapes are declared for the OpenAPI document.
        group.MapPut("/objects/{**key}", Put).Writes().LimitsItsOwnBody("storage.max_put_bytes").TakesRawBody("application/octet-stream", "*/*");
        group.MapGet("/objects/{**key}", (HttpContext context, IObjectStore store) => Read(context, store, withBody: true)).Reads()
            .Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream").Produces<Stream>(StatusCodes.Status206PartialContent, "application/octet-stream");
        group.MapMethods("/objects/{**key}", [HttpMethods.Head], (HttpContext context, IObjectStore store) => Read(context, store, withBody: false)).Reads()
            .Produces(StatusCodes.Status200OK);
        group.MapDelete("/objects/{**key}", Delete).Writes();
        group.MapGet("/objects", List).Reads();
    }

    static async Task<Created<ObjectInfo>> Put(HttpContext context, IObjectStore store, LakehouseConfig config)
    {
        var key = WritableKey(context);
        // Another process's module writes what it would write in-process (an LHV1 index can outgrow the
        // limit meant for clients); only a module key can send it.
        var limit = context.IsModule() ? long.MaxValue : config.Storage.MaxPutBytes;
        if (context.Request.ContentLength > limit)
        {
            throw ProblemException.TooLarge($"The body is {context.Request.ContentLength} bytes; storage.max_put_bytes is {limit}.");
        }
        var body = new LimitedReadStream(context.Request.Body, limit, "storage.max_put_bytes");
        var info = await store.PutAsync(key, body, context.RequestAborted);
        return TypedResults.Created(ObjectsPath + Uri.EscapeDataString(key).Replace("%2F", "/", StringComparison.Ordinal), info);
    }

    static async Task Read(HttpContext context, IObjectStore store, bool withBody)
    {
        var key = Key(context);
        var range = RequestedRange(context);
        var response = context.Response;
        if (!withBody)
        {
            var info = await store.HeadAsync(key, context.RequestAborted) ?? throw MissingObject(key);
            var slice = range is { } asked ? asked.Resolve(info.Size) ?? throw StorageErrors.RangeOutside(key, asked, info.Size) : (ByteRange?)null;
            Describe(response, info, slice);
            return;
        }
        // Headers and body come from the one read, so they describe the same version of the object.
        await using var content = await store.GetAsync(key, range, context.RequestAborted) ?? throw MissingObject(key);
        Describe(response, content.Info, range is null ? null : content.Range);
        // Disable response buffering so a 256 MiB object streams through a fixed-size buffer.
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await CopyExactlyAsync(content.Stream, response.Body, content.Range.Length, context.RequestAborted);
    }

    static void Describe(HttpResponse response, ObjectInfo info, ByteRange? slice)
    {
        response.Headers.ETag = $"\"{info.ETag}\"";
        response.Headers.LastModified = info.LastModified.ToString("R", CultureInfo.InvariantCulture);
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = "application/octet-stream";
        response.ContentLength = slice?.Length ?? info.Size;
        response.StatusCode = slice is null ? StatusCodes.Status200OK : StatusCodes.Status206PartialContent;
        if (slice is { } s) response.Headers.ContentRange = $"bytes {s.Offset}-{s.Last}/{info.Size}";
    }

    static async Task CopyExactlyAsync(Stream source, Stream destination, long length, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            while (length > 0)
            {
                var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length)), cancellationToken);
                if (read == 0) throw new IOException($"The object ended {length} bytes early.");
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                length -= read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    static async Task<NoContent> Delete(HttpContext context, IObjectStore store)
    {
        var key = WritableKey(context);
        await store.DeleteAsync(key, context.RequestAborted);
        return TypedResults.NoContent();
    }

    static async Task<Ok<ObjectPage>> List(IObjectStore store, string? prefix, string? limit, string? cursor, CancellationToken cancellationToken)
    {
        var count = DefaultListLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxListLimit))
        {
            throw ProblemException.BadRequest($"limit must be a whole number from 1 to {MaxListLimit}, not '{limit}'.");
        }
        return TypedResults.Ok(await store.ListAsync(prefix ?? "", count, string.IsNullOrEmpty(cursor) ? null : cursor, cancellationToken));
    }

    /// <summary>
    /// The key as the client sent it. The server normalises "." and ".." segments out of the path
    /// before routing, which would silently turn "a/../b" into "b"; the raw target keeps them so
    /// that such keys are refused.
    /// </summary>
    static string Key(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        string key;
        if (!string.IsNullOrEmpty(raw) && raw.StartsWith(ObjectsPath, StringComparison.Ordinal))
        {
            key = RawKey(raw);
        }
        else
        {
            key = (string?)context.GetRouteValue("key") ?? "";
        }
        ObjectKeys.Validate(key);
        return key;
    }

    /// <summary>The decoded key of a raw request target that starts with <see cref="ObjectsPath"/>.</summary>
    public static string RawKey(string rawTarget)
    {
        var path = rawTarget.AsSpan(ObjectsPath.Length);
        var query = path.IndexOfAny('?', '#');
        return Uri.UnescapeDataString((query < 0 ? path : path[..query]).ToString());
    }

    static string WritableKey(HttpContext context)
    {
        var key = Key(context);
        if (ObjectKeys.IsModuleOwned(key) && !context.IsModule())
        {
            throw ProblemException.Forbidden($"Key '{key}' is owned by a module ('_' prefix): it can be read here, but writing or deleting it: {Roles.ModuleKeyNeeded}.");
        }
        return key;
    }

    static RangeRequest? RequestedRange(HttpContext context)
    {
        var header = context.Request.Headers.Range;
        if (header.Count == 0) return null;
        // Only a single byte range is served; anything else is ignored and the whole object sent (RFC 9110 §14.2).
        return RangeHeaderValue.TryParse(header.ToString(), out var value) && value.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase)
            && value.Ranges.Count == 1 ? new RangeRequest(value.Ranges.First().From, value.Ranges.First().To) : null;
    }

    static ProblemException MissingObject(string key) => ProblemException.NotFound($"Object '{key}' does not exist.");
}
