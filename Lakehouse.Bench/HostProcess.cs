using System.Globalization;
using Lakehouse.Tools;

namespace Lakehouse.Bench;

/// <summary>
/// Lakehouse.Host as its own process, as users run it, on a data root of its own, so that its memory
/// can be read from /proc without the benchmark's own allocations in the figure.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    readonly HostChildProcess _host;

    HostProcess(HostChildProcess host, string root)
    {
        _host = host;
        Root = root;
    }

    public Uri Address => _host.Address;
    public string Root { get; }

    public static async Task<HostProcess> StartAsync(IDictionary<string, string>? settings = null)
    {
        var root = Directory.CreateTempSubdirectory("lakehouse-bench-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["LAKEHOUSE__STORAGE__ROOT"] = Path.Combine(root, "data"),
            ["DOTNET_ENVIRONMENT"] = "Production",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) environment[key] = value;
        // The host's per-request timing lines go on as progress.
        var host = await HostChildProcess.StartAsync(environment, root, line =>
        {
            if (line.Contains("Ingested", StringComparison.Ordinal)) Console.Error.WriteLine("host: " + line.Trim());
        });
        return new HostProcess(host, root);
    }

    /// <summary>Current resident set, MiB.</summary>
    public double RssMiB => ReadStatus("VmRSS");

    /// <summary>Peak resident set since start or the last <see cref="ResetPeak"/>, MiB.</summary>
    public double PeakRssMiB => ReadStatus("VmHWM");

    /// <summary>Resets the kernel's peak-RSS mark (VmHWM) to the current RSS.</summary>
    public void ResetPeak() => File.WriteAllText($"/proc/{_host.ProcessId}/clear_refs", "5");

    double ReadStatus(string field)
    {
        var line = File.ReadLines($"/proc/{_host.ProcessId}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}
