using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;

namespace Lakehouse.Catalog;

/// <summary>
/// GET /v1/catalog/changes as server-sent events: "snapshot" (every manifest) first, then a "change"
/// per change, and a comment line every 15 s so that either side notices a dead connection.
/// </summary>
internal static class CatalogFeedEndpoint
{
    static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static async Task StreamAsync(HttpContext context, ICatalog catalog, CatalogChangeFeed feed, IHostApplicationLifetime lifetime)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        // A graceful stop waits for requests in flight: the feed must end, or a listener would stay on a
        // catalog that no longer changes while its successor takes the commits.
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var token = stream.Token;
        var (snapshot, changes) = feed.Listen(catalog.List);
        try
        {
            await WriteAsync(response, "snapshot", JsonSerializer.SerializeToUtf8Bytes(snapshot, CatalogChangeFeed.Wire), token);
            while (!token.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
                wait.CancelAfter(Heartbeat);
                bool more;
                try
                {
                    more = await changes.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    await response.Body.WriteAsync(": keep-alive\n\n"u8.ToArray(), token);
                    await response.Body.FlushAsync(token);
                    continue;
                }
                if (!more) break; // fell too far behind: the client reconnects and starts from a snapshot
                while (changes.TryRead(out var change))
                {
                    await WriteAsync(response, "change", JsonSerializer.SerializeToUtf8Bytes(change, CatalogChangeFeed.Wire), token);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // the listener left, or this process is stopping
        }
        finally
        {
            feed.Stop(changes);
        }
    }

    static async Task WriteAsync(HttpResponse response, string kind, byte[] json, CancellationToken token)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes($"event: {kind}\ndata: "), token);
        await response.Body.WriteAsync(json, token);
        await response.Body.WriteAsync("\n\n"u8.ToArray(), token);
        await response.Body.FlushAsync(token);
    }
}
