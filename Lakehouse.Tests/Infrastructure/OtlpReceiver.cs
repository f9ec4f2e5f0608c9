using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Tests.Infrastructure;

/// <summary>
/// Stands in for an OpenTelemetry collector: records every OTLP/HTTP export. Protobuf keeps strings
/// (span names, service names) as plain UTF-8 and ids as raw bytes, so a body read as Latin-1 holds both.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    readonly WebApplication _app;

    OtlpReceiver(WebApplication app) => _app = app;

    public ConcurrentBag<(string Path, string Body)> Received { get; } = [];

    public string Endpoint => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

    /// <summary>The OTEL_* settings that point a host's exporter here, exporting at once.</summary>
    public Dictionary<string, string> Settings => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
    };

    /// <summary>Starts one; it answers 503 to the first export that holds <paramref name="refuseOnce"/>, as a collector that is restarting would.</summary>
    public static async Task<OtlpReceiver> StartAsync(string? refuseOnce = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new OtlpReceiver(builder.Build());
        var refused = 0;
        receiver._app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var text = Encoding.Latin1.GetString(body.ToArray());
            if (refuseOnce is not null && text.Contains(refuseOnce, StringComparison.Ordinal) && Interlocked.Exchange(ref refused, 1) == 0)
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            receiver.Received.Add((context.Request.Path, text));
            return Results.Ok();
        });
        await receiver._app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
