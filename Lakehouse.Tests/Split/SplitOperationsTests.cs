using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;
using Lakehouse.Tools;

namespace Lakehouse.Tests.Split;

/// <summary>What an operator of a split deployment sees: health that reports the remotes, and one trace across processes.</summary>
public sealed class SplitOperationsTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_reports_each_remote_and_is_503_while_one_is_unreachable()
    {
        using var root = new TempFolder();
        await using var lakehouse = await SplitDeployment.StartAsync(Shape.Three, new() { ["storage:root"] = Path.Combine(root.Path, "data") }, root.Path);
        var query = lakehouse.Client("query-vectors");
        var healthy = await query.JsonAsync("/health");
        Assert.Equal("ok", healthy.GetProperty("status").GetString());
        Assert.Equal(["storage", "catalog"], healthy.GetProperty("remotes").EnumerateArray().Select(r => r.GetProperty("module").GetString()));
        Assert.All(healthy.GetProperty("remotes").EnumerateArray(), r => Assert.True(r.GetProperty("reachable").GetBoolean()));

        await lakehouse.KillAsync("storage-catalog");
        var down = await Polling.UntilAsync(async () =>
        {
            var response = await query.GetAsync("/health", Cancel);
            var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.Clone();
            // Each remote is probed on its own: both hosted by the killed process turn unreachable, one after the other.
            var gone = health.GetProperty("remotes").EnumerateArray().All(r => !r.GetProperty("reachable").GetBoolean());
            return (response.StatusCode == HttpStatusCode.ServiceUnavailable && gone, health);
        }, () => "/health to notice the storage process is gone");
        Assert.Equal("degraded", down.GetProperty("status").GetString());
        Assert.All(down.GetProperty("remotes").EnumerateArray(), r => Assert.False(r.GetProperty("reachable").GetBoolean()));
        // Requests that need the missing process are a 503 naming it, never a 500.
        var refused = await lakehouse.Ingesters.First.IngestAsync("t", "a\n1\n");
        await ProblemAssert.IsProblem(refused, HttpStatusCode.ServiceUnavailable, "storage module at");

        await lakehouse.RestartAsync("storage-catalog");
        await Polling.UntilOkAsync(query, "/health");
    }

    [Fact]
    public async Task An_ingest_that_crosses_two_processes_is_one_trace()
    {
        using var root = new TempFolder();
        await using var collector = await OtlpReceiver.StartAsync();
        OtlpReceiver.EnableSelfDiagnostics(root.Path);
        await using var lakehouse = await SplitDeployment.StartAsync(Shape.Two, new() { ["storage:root"] = Path.Combine(root.Path, "data") }, root.Path, collector.Settings);
        // The request is sent inside a span of the test's own trace, as a traced client sends it: HttpClient
        // passes the trace on in a traceparent header. (A header set by hand is not enough: while another test's
        // in-process host is alive, its tracer instruments this process's HttpClient too and replaces the header
        // with a trace of its own.)
        var traceId = ActivityTraceId.CreateRandom();
        using (new Activity("test client").SetParentId(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start())
        {
            var response = await lakehouse.Client("ingest-query-vectors").PostAsync("/v1/ingest/traced", new StringContent("a\n1\n", Encoding.UTF8, "text/csv"), Cancel);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        // Spans carry the trace id as 16 raw bytes: both processes exported spans of this one trace.
        var idBytes = Encoding.Latin1.GetString(Convert.FromHexString(traceId.ToHexString()));
        string[] services = ["lakehouse-ingest-query-vectors", "lakehouse-storage-catalog"];
        string Exports() => $"{collector.Describe(services)}\n{OtlpReceiver.SelfDiagnostics(root.Path)}";
        foreach (var service in services)
        {
            await Polling.UntilAsync(
                () => collector.Received.Any(r => r.Path == "/v1/traces" && r.Body.Contains(service, StringComparison.Ordinal) && r.Body.Contains(idBytes, StringComparison.Ordinal)),
                () => $"a span of trace {traceId} from {service} ({Exports()})");
        }
        // On the catalog's side, among them the commit the ingest made.
        await Polling.UntilAsync(
            () => collector.Received.Any(r => r.Body.Contains("lakehouse-storage-catalog", StringComparison.Ordinal) && r.Body.Contains(idBytes, StringComparison.Ordinal)
                && r.Body.Contains("/commits", StringComparison.Ordinal)),
            () => $"the commit's span of trace {traceId} from the catalog ({Exports()})");
    }
}
