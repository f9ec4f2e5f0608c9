using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using Lakehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Tests.Host;

/// <summary>With OTEL_EXPORTER_OTLP_ENDPOINT set, traces and metrics leave the process over OTLP (a recording receiver stands in for a collector).</summary>
public sealed class OtlpExportTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Traces_and_metrics_are_exported_when_an_otlp_endpoint_is_configured()
    {
        var received = new ConcurrentBag<(string Path, string Body)>();
        var receiver = WebApplication.CreateSlimBuilder();
        receiver.WebHost.UseUrls("http://127.0.0.1:0");
        receiver.Logging.ClearProviders();
        await using var collector = receiver.Build();
        collector.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Add((context.Request.Path, Encoding.Latin1.GetString(body.ToArray())));
            return Results.Ok();
        });
        await collector.StartAsync(Cancel);
        var endpoint = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        await using var host = new LakehouseFactory
        {
            HostSettings =
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
                ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
            },
        };
        var response = await host.CreateClient().PostAsJsonAsync("/v1/sql", new { sql = "SELECT 42" }, Cancel);
        response.EnsureSuccessStatusCode();

        // Protobuf keeps names as plain UTF-8: the query's span and its duration histogram show up as text.
        await Polling.UntilAsync(
            () => received.Any(r => r.Path == "/v1/traces" && r.Body.Contains("/v1/sql", StringComparison.Ordinal))
                && received.Any(r => r.Path == "/v1/metrics" && r.Body.Contains("lakehouse.query.duration", StringComparison.Ordinal)),
            () => "the query's span and duration at the collector");
        await collector.StopAsync(Cancel);
    }
}
