using System.Text.Json;
using System.Text.Json.Serialization;
using Lakehouse.Common;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.ResponseCompression;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Lakehouse.Host;

/// <summary>What every Lakehouse process has whatever modules it hosts: bind, JSON, errors, telemetry, auth, health.</summary>
internal static class HostExtensions
{
    public static WebApplicationBuilder AddLakehouseHost(this WebApplicationBuilder builder, LakehouseConfig config)
    {
        builder.WebHost.UseUrls($"http://{config.Host.Bind}");
        // Storage PUT and ingest enforce their own limits (up to 256 MiB); JsonBodyLimit bounds every other body.
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            // Slow clients (slow-loris) hold a connection only so long: headers must arrive within the
            // time-out, and a body must keep up a minimum rate after a 5 s grace.
            kestrel.Limits.RequestHeadersTimeout = Duration.Parse(config.Host.RequestHeadersTimeout);
            kestrel.Limits.MinRequestBodyDataRate = config.Host.MinBodyBytesPerSecond > 0
                ? new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(config.Host.MinBodyBytesPerSecond, TimeSpan.FromSeconds(5))
                : null;
        });

        // DuckDB calls block their thread (DuckDB.NET's async methods too), as do fsyncs. The thread pool
        // starts with one thread per core and adds more slowly, so under 32 clients on 2 cores a 0.3 ms
        // vector search waited 730 ms at the median for a thread, behind group-bys and ingests
        // (Lakehouse.Bench load). With threads ready for the 16 query connections, ingests and saves
        // blocked at once: 8-13 ms at the median, p99 1.5 s -> 0.15 s. Moving each blocking call to a
        // thread of its own did as well under load but added milliseconds to every query's round trip.
        ThreadPool.GetMinThreads(out _, out var completionThreads);
        ThreadPool.SetMinThreads(Math.Max(64, Environment.ProcessorCount), completionThreads);

        builder.Logging.SetMinimumLevel(LogLevelOf(config.Log.Level));
        if (LogLevelOf(config.Log.Level) > LogLevel.Debug) builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DictionaryKeyPolicy = null;
            // A field no endpoint reads is a 400 naming it, not ignored: a misspelled "filters" would
            // otherwise search unfiltered, and "maxrows" return every row.
            json.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = NameWhatWasWrong);
        // Query results travel compressed to clients that ask (Accept-Encoding: gzip): 100,000 rows of
        // the workers dataset as JSON go from 60 MB to 23 MB at the fastest level, still streamed.
        builder.Services.AddResponseCompression(compression =>
        {
            compression.MimeTypes = ["application/json", "text/csv", "application/x-ndjson"];
            compression.Providers.Add<GzipCompressionProvider>();
        });
        builder.Services.Configure<GzipCompressionProviderOptions>(gzip => gzip.Level = System.IO.Compression.CompressionLevel.Fastest);
        // A body that does not bind (wrong JSON, wrong type of a field, wrong content type) throws, so that
        // the problem says what was wrong instead of a bare 400.
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        ModuleReadiness.AddTo(builder.Services);
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();

        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation().AddMeter(Telemetry.MeterName).AddPrometheusExporter())
            // Calls to a remote module carry the W3C traceparent of the request that made them (HttpClient
            // sends it), so an ingest that crosses two processes is one trace; the client spans show the hop.
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation(http => http.FilterHttpRequestMessage = IsNotAHealthProbe).AddSource(Telemetry.ActivitySourceName));
        // OTLP export switches on the standard way: when OTEL_EXPORTER_OTLP_ENDPOINT is set (the other
        // OTEL_* variables then apply as the OpenTelemetry spec says).
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Without retry the exporter drops a batch whose export failed once (collector restarting, a busy
            // moment): a span of a trace then goes missing. Retry from memory is on unless the operator says
            // otherwise, as .NET Aspire sets it for its services.
            builder.Configuration["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] ??= "in_memory";
            telemetry.UseOtlpExporter();
        }
        return builder;
    }

    /// <summary>The remote probes ask /health every two seconds: spans of those would bury the ones that matter.</summary>
    static bool IsNotAHealthProbe(HttpRequestMessage request) => request.RequestUri?.AbsolutePath != "/health";

    /// <summary>The framework's own refusals (no such route, wrong method, not JSON) carry no detail; give them one.</summary>
    static void NameWhatWasWrong(ProblemDetailsContext context)
    {
        var request = context.HttpContext.Request;
        context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
        {
            StatusCodes.Status404NotFound => $"There is no endpoint {request.Method} {request.Path} (see docs/api.md).",
            StatusCodes.Status405MethodNotAllowed => $"{request.Path} does not take {request.Method}.",
            StatusCodes.Status415UnsupportedMediaType => $"This endpoint takes a JSON body: send Content-Type: application/json (not {request.ContentType ?? "none"}).",
            _ => null,
        };
    }

    /// <summary>Removes the scratch files that processes killed mid-work left under the temp dir (<see cref="ScratchFiles"/>).</summary>
    public static void RemoveAbandonedScratchFiles(this WebApplication app)
    {
        var removed = ScratchFiles.RemoveAbandoned();
        if (removed > 0) app.Logger.LogInformation("Removed {Count} scratch files and folders that stopped processes left under {Folder}", removed, Path.GetTempPath());
    }

    public static WebApplication UseLakehouseHost(this WebApplication app, LakehouseConfig config)
    {
        app.UseExceptionHandler();
        // Only on query results: in the pipeline of every request it cut storage PUT throughput by a quarter.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/v1/sql"), results => results.UseResponseCompression());
        app.UseStatusCodePages();
        // Both judge the endpoint routing chose, by the metadata it was mapped with.
        app.UseMiddleware<BearerKeyAuthorization>();
        app.UseMiddleware<JsonBodyLimit>();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/health", Health);
        app.Lifetime.ApplicationStarted.Register(() => LogStart(app, config));
        return app;
    }

    /// <summary>200 once every hosted module has loaded and every remote this process needs answers; else 503 saying what is missing.</summary>
    static IResult Health(ModuleReadiness readiness, IEnumerable<RemoteModule> remotes, LakehouseConfig config)
    {
        var pending = readiness.Pending;
        IReadOnlyList<RemoteHealth>? remoteHealth = [.. remotes.Select(r => new RemoteHealth(r.Module, r.BaseAddress.ToString(), r.Status?.Reachable ?? false, r.Status?.Detail ?? "not probed yet"))];
        if (remoteHealth.Count == 0) remoteHealth = null;
        var status = pending.Count > 0 ? "starting" : remoteHealth?.Any(r => !r.Reachable) == true ? "degraded" : "ok";
        var health = new HealthResponse(status, config.Host.Modules, pending.Count > 0 ? pending : null, remoteHealth);
        return status == "ok" ? Results.Ok(health) : Results.Json(health, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    static void LogStart(WebApplication app, LakehouseConfig config)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Lakehouse");
        foreach (var warning in app.Services.GetRequiredService<ConfigWarnings>().Messages) logger.LogWarning("{Warning}", warning);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var storage = config.Hosts(ModuleNames.Storage) ? $"{config.Storage.Backend} storage" : config.Remote.StorageUrl.Length > 0 ? $"storage at {config.Remote.StorageUrl}" : "no storage";
        var catalog = config.NeedsRemote(ModuleNames.Catalog) ? $", catalog at {config.Remote.CatalogUrl}" : "";
        logger.LogInformation("Lakehouse listening on {Addresses} hosting modules [{Modules}] with {Storage}{Catalog}",
            string.Join(", ", addresses), string.Join(", ", config.Host.Modules), storage, catalog);
    }

    static LogLevel LogLevelOf(string level) => level switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => LogLevel.Information,
    };
}

internal sealed record HealthResponse(
    string Status,
    IReadOnlyList<string> Modules,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Starting,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<RemoteHealth>? Remotes);

/// <summary>A module this process reaches in another: where, and whether its /health answered as the host of that module.</summary>
internal sealed record RemoteHealth(string Module, string Url, bool Reachable, string Detail);
