using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Lakehouse.Tools;

/// <summary>
/// npm's s3rver, pinned and patched by tools/s3rver (patch.js), as a child process on a free
/// loopback port. Installs itself on first use when .ci/run has not. Shared by the tests and the
/// benchmarks (compiled into both).
/// </summary>
public sealed partial class S3rverProcess : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    readonly Process _process;
    readonly string _dataFolder;

    S3rverProcess(Process process, string dataFolder, string endpoint)
    {
        _process = process;
        _dataFolder = dataFolder;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public static async Task<S3rverProcess> StartAsync(string repoRoot)
    {
        var tool = Path.Combine(repoRoot, "tools", "s3rver");
        var script = Path.Combine(tool, "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script)) await ProcessRunner.RunAsync("npm", "ci --no-audit --no-fund", tool);
        await ProcessRunner.RunAsync("node", "patch.js", tool); // idempotent: fails unless every patch is in place

        var data = Directory.CreateTempSubdirectory("lakehouse-s3rver-").FullName;
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { script, "-d", data, "-a", "127.0.0.1", "-p", "0", "--no-vhost-buckets", "--silent" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Without the legacy provider, lists over 1000 keys fail (its continuation tokens use DES).
        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (Listening().Match(line) is { Success: true } match)
            {
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None); // keep draining
                return new S3rverProcess(process, data, $"http://127.0.0.1:{match.Groups[1].Value}");
            }
        }
        throw new InvalidOperationException("s3rver exited before it listened");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();
}
