using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Lakehouse.Tools;

/// <summary>
/// Lakehouse.Host as a real child process, configured through LAKEHOUSE__* variables as an
/// operator would: for tests that SIGKILL it at any moment and start it again on the same storage,
/// and for benchmarks that read its memory from /proc. Shared by both (compiled into each).
/// </summary>
public sealed partial class HostChildProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _log;

    HostChildProcess(Process process, StringBuilder log, Uri address)
    {
        _process = process;
        _log = log;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(10) };
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    public HttpClient Client { get; }

    /// <summary>What the process wrote to stdout and stderr, for a failing test's message.</summary>
    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary>LAKEHOUSE settings as "section:key" (what a test host takes) turned into the environment an operator would set: LAKEHOUSE__SECTION__KEY.</summary>
    public static Dictionary<string, string> EnvironmentOf(IEnumerable<KeyValuePair<string, string>> settings) =>
        settings.ToDictionary(s => "LAKEHOUSE__" + s.Key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant(), s => s.Value);

    /// <summary>Starts the host and returns once /health says every module has loaded; <paramref name="onLine"/> sees each line it writes.</summary>
    /// <param name="dotnetArguments">What follows "dotnet" on the command line; by default the built host's dll.</param>
    public static async Task<HostChildProcess> StartAsync(IReadOnlyDictionary<string, string> environment, string workingDirectory, Action<string>? onLine = null,
        IReadOnlyList<string>? dotnetArguments = null)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in dotnetArguments ?? [Path.Combine(AppContext.BaseDirectory, "Lakehouse.Host.dll")]) start.ArgumentList.Add(argument);
        start.Environment["LAKEHOUSE__HOST__BIND"] = "127.0.0.1:0";
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var log = new StringBuilder();
        void Keep(string line)
        {
            lock (log) log.AppendLine(line);
            onLine?.Invoke(line);
        }
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Keep(e.Data);
        };
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
        {
            Keep(line);
            if (Listening().Match(line) is not { Success: true } match) continue;
            _ = DrainAsync(process, Keep);
            var host = new HostChildProcess(process, log, new Uri(match.Groups[1].Value));
            while ((await host.Client.GetAsync("/health", deadline.Token)).StatusCode != System.Net.HttpStatusCode.OK) await Task.Delay(20, deadline.Token);
            return host;
        }
        throw new InvalidOperationException("the host exited before it listened: " + log);
    }

    static async Task DrainAsync(Process process, Action<string> keep)
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line) keep(line);
    }

    /// <summary>SIGKILL: no shutdown, no flush, as a power cut or the OOM killer would end it.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Client.Dispose();
        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
