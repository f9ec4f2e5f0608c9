using System.Net.Http.Json;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Host;

/// <summary>With OTEL_EXPORTER_OTLP_ENDPOINT set, traces and metrics leave the process over OTLP (a recording receiver stands in for a collector).</summary>
public sealed class OtlpExportTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Traces_and_metrics_are_exported_when_an_otlp_endpoint_is_configured()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        await using var host = new LakehouseFactory();
        foreach (var (key, value) in collector.Settings) host.HostSettings[key] = value;
        var response = await host.CreateClient().PostAsJsonAsync("/v1/sql", new { sql = "SELECT 42" }, Cancel);
        response.EnsureSuccessStatusCode();

        // Protobuf keeps names as plain UTF-8: the query's span and its duration histogram show up as text.
        await Polling.UntilAsync(
            () => collector.Received.Any(r => r.Path == "/v1/traces" && r.Body.Contains("/v1/sql", StringComparison.Ordinal))
                && collector.Received.Any(r => r.Path == "/v1/metrics" && r.Body.Contains("lakehouse.query.duration", StringComparison.Ordinal)),
            () => "the query's span and duration at the collector");
    }

    [Fact]
    public async Task A_refused_trace_export_is_retried_so_the_span_still_arrives()
    {
        await using var collector = await OtlpReceiver.StartAsync(refuseOnce: "/v1/sql");
        await using var host = new LakehouseFactory();
        foreach (var (key, value) in collector.Settings) host.HostSettings[key] = value;
        var response = await host.CreateClient().PostAsJsonAsync("/v1/sql", new { sql = "SELECT 41" }, Cancel);
        response.EnsureSuccessStatusCode();

        await Polling.UntilAsync(
            () => collector.Received.Any(r => r.Path == "/v1/traces" && r.Body.Contains("/v1/sql", StringComparison.Ordinal)),
            () => "the query's span at the collector after its first export was refused");
    }
}
