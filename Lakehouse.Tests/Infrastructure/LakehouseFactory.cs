using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Tests.Infrastructure;

/// <summary>
/// The real host in-process on real Kestrel sockets (so requests arrive byte for byte as a client
/// sent them), configured through the same LAKEHOUSE__SECTION__KEY overrides an operator would use.
/// Owns a temp data root unless one is given (to test restarts).
/// </summary>
public sealed class LakehouseFactory : WebApplicationFactory<Program>
{
    readonly TempFolder? _ownedRoot;
    readonly Dictionary<string, string> _settings;

    readonly string? _configPath;

    public LakehouseFactory(IDictionary<string, string>? settings = null, string? root = null, string? configPath = null)
    {
        _configPath = configPath;
        UseKestrel();
        if (root is null) _ownedRoot = new TempFolder();
        Root = root ?? _ownedRoot!.Path;
        _settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["storage:root"] = Root,
            ["query:cache_dir"] = Path.Combine(Root, "query-cache"), // removed with the root; only S3 hosts create it
            ["log:level"] = "info",
            ["host:bind"] = "127.0.0.1:0",
            // Tests look for dropped files at once; the grace that lets running queries finish has its own test.
            ["catalog:dropped_file_grace"] = "0s",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) _settings[key] = value;
    }

    public string Root { get; }

    /// <summary>Host settings outside [lakehouse] config, by their own names (OTEL_EXPORTER_OTLP_ENDPOINT, …).</summary>
    public Dictionary<string, string> HostSettings { get; init; } = [];

    /// <summary>What this host logged at information level and above.</summary>
    public LogCapture Logs { get; } = new();

    /// <summary>A client once /health says every hosted module has started (it answers 503 until then).</summary>
    public async Task<HttpClient> CreateReadyClientAsync()
    {
        var client = CreateClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((await client.GetAsync("/health", timeout.Token)).StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
        {
            await Task.Delay(20, timeout.Token);
        }
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting("LAKEHOUSE:" + key, value);
        if (_configPath is not null) builder.UseSetting("config", _configPath);
        foreach (var (key, value) in HostSettings) builder.UseSetting(key, value);
        // Into memory, not the console: the test output stays readable and a test can read its own host's log.
        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(Logs);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _ownedRoot?.Dispose();
    }
}
