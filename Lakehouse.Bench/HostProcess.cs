using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Lakehouse.Bench;

/// <summary>
/// Lakehouse.Host as its own process, as users run it, so that its memory can be read from /proc
/// without the benchmark's own allocations in the figure.
/// </summary>
public sealed partial class HostProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly string _root;

    HostProcess(Process process, string root, Uri address)
    {
        _process = process;
        _root = root;
        Address = address;
    }

    public Uri Address { get; }
    public string Root => _root;

    public static async Task<HostProcess> StartAsync(IDictionary<string, string>? settings = null)
    {
        var root = Directory.CreateTempSubdirectory("lakehouse-bench-").FullName;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Lakehouse.Host.dll"));
        start.Environment["LAKEHOUSE__HOST__BIND"] = "127.0.0.1:0";
        start.Environment["LAKEHOUSE__STORAGE__ROOT"] = Path.Combine(root, "data");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("host: " + e.Data); };
        process.BeginErrorReadLine();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (Listening().Match(line) is { Success: true } match)
            {
                _ = Task.Run(async () =>
                {
                    // Keep draining; pass the host's per-request timing lines on as progress.
                    while (await process.StandardOutput.ReadLineAsync() is { } more)
                    {
                        if (more.Contains("Ingested", StringComparison.Ordinal)) Console.Error.WriteLine("host: " + more.Trim());
                    }
                });
                var host = new HostProcess(process, root, new Uri(match.Groups[1].Value));
                using var http = new HttpClient { BaseAddress = host.Address };
                while ((await http.GetAsync("/health")).StatusCode != System.Net.HttpStatusCode.OK) await Task.Delay(20);
                return host;
            }
        }
        throw new InvalidOperationException("the host exited before it listened");
    }

    /// <summary>Current resident set, MiB.</summary>
    public double RssMiB => ReadStatus("VmRSS");

    /// <summary>Peak resident set since start or the last <see cref="ResetPeak"/>, MiB.</summary>
    public double PeakRssMiB => ReadStatus("VmHWM");

    /// <summary>Resets the kernel's peak-RSS mark (VmHWM) to the current RSS.</summary>
    public void ResetPeak() => File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");

    double ReadStatus(string field)
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
