using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Host;

/// <summary>The binary as an operator runs it: a real process, its exit codes, its log line, SIGTERM.</summary>
public sealed partial class HostProcessTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static Process Start(TempFolder folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Lakehouse.Host.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["LAKEHOUSE__HOST__BIND"] = "127.0.0.1:0";
        start.Environment["LAKEHOUSE__S3__SECRET_ACCESS_KEY"] = "never-logged-secret";
        return Process.Start(start)!;
    }

    [Fact]
    public async Task The_binary_compiles_a_method_with_a_loop_optimized_on_its_first_call()
    {
        // What `dotnet run` and every split process start with: without it, each request's scan, Parquet
        // and Avro loops run unoptimized through the host's first hundreds of requests (design.md, "Warm from the first request").
        using var config = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Lakehouse.Host.runtimeconfig.json"), Cancel));
        var quickJitForLoops = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").GetProperty("System.Runtime.TieredCompilation.QuickJitForLoops");
        Assert.Equal(JsonValueKind.False, quickJitForLoops.ValueKind);
    }

    [Fact]
    public async Task A_broken_config_stops_the_process_with_file_line_and_key()
    {
        using var folder = new TempFolder();
        var config = Path.Combine(folder.Path, "bad.toml");
        await File.WriteAllTextAsync(config, "[storage]\nbakend = \"s3\"\n", Cancel);
        using var process = Start(folder, "--config", config);
        var stderr = await process.StandardError.ReadToEndAsync(Cancel);
        await process.WaitForExitAsync(Cancel);
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("bad.toml(2)", stderr, StringComparison.Ordinal);
        Assert.Contains("bakend", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serves_logs_its_address_and_modules_and_exits_0_on_SIGTERM()
    {
        using var folder = new TempFolder();
        using var process = Start(folder);
        var log = new System.Text.StringBuilder();
        string? address = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (address is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            log.AppendLine(line);
            if (Listening().Match(line) is { Success: true } match) address = match.Groups[1].Value;
        }
        Assert.True(address is not null, "no start-up line: " + log);
        Assert.Contains("storage, catalog, ingest, query, vectors", log.ToString(), StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = new Uri(address) };
        JsonElement health;
        do
        {
            health = await http.GetFromJsonAsync<JsonElement>("/health", Cancel);
        }
        while (health.GetProperty("status").GetString() == "starting");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.True(Directory.Exists(Path.Combine(folder.Path, "data")), "the default root ./data was not created");

        Assert.Equal(0, Kill(process.Id, 15)); // SIGTERM
        var rest = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, process.ExitCode);
        Assert.DoesNotContain("never-logged-secret", log + rest, StringComparison.Ordinal);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
