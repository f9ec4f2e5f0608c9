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
    int _refusedOnce;

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

    /// <summary>For a failing test's message: how many exports of each signal came from each service, and how many were refused.</summary>
    public string Describe(params string[] services) =>
        $"{_refusedOnce} refused; received " + string.Join(", ", Received.GroupBy(r => r.Path).SelectMany(signal =>
            services.Select(service => $"{signal.Key} from {service}: {signal.Count(r => r.Body.Contains(service, StringComparison.Ordinal))}")));

    /// <summary>
    /// Makes hosts started in <paramref name="workingDirectory"/> log the OpenTelemetry SDK's own warnings
    /// (a failed or dropped export) there; <see cref="SelfDiagnostics"/> reads them back for a failing test.
    /// </summary>
    public static void EnableSelfDiagnostics(string workingDirectory) =>
        File.WriteAllText(Path.Combine(workingDirectory, "OTEL_DIAGNOSTICS.json"),
            $$"""{"LogDirectory": "{{Path.Combine(workingDirectory, "otel-diagnostics")}}", "FileSize": 1024, "LogLevel": "Warning"}""");

    public static string SelfDiagnostics(string workingDirectory)
    {
        var folder = Path.Combine(workingDirectory, "otel-diagnostics");
        if (!Directory.Exists(folder)) return "no OpenTelemetry self-diagnostics were written";
        // Each log is a fixed-size file written in a circle (the unwritten rest is zeros); the SDK also warns of
        // every runtime meter it does not subscribe to, which says nothing about exports.
        return string.Join("\n", Directory.GetFiles(folder).Select(f => Path.GetFileName(f) + ":\n" + string.Join("\n",
            File.ReadAllText(f).TrimEnd('\0').Split('\n').Where(line => !line.Contains("will be ignored", StringComparison.Ordinal)))));
    }

    /// <summary>Starts one; it answers 503 to the first export that holds <paramref name="refuseOnce"/>, as a collector that is restarting would.</summary>
    public static async Task<OtlpReceiver> StartAsync(string? refuseOnce = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new OtlpReceiver(builder.Build());
        receiver._app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var text = Encoding.Latin1.GetString(body.ToArray());
            if (refuseOnce is not null && text.Contains(refuseOnce, StringComparison.Ordinal) && Interlocked.Exchange(ref receiver._refusedOnce, 1) == 0)
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
