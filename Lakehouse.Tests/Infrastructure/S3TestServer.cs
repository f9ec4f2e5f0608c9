using System.Diagnostics;
using System.Text.RegularExpressions;

[assembly: AssemblyFixture(typeof(Lakehouse.Tests.Infrastructure.S3TestServer))]

namespace Lakehouse.Tests.Infrastructure;

/// <summary>
/// A real S3-protocol server for the S3 backend's tests: npm's s3rver, pinned and patched by
/// tools/s3rver (patch.js). Installed on first use when .ci/run has not done it, started on a free
/// loopback port once per test run; each test uses a bucket of its own.
/// </summary>
public sealed partial class S3TestServer : IAsyncLifetime
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    static readonly string ToolFolder = Path.Combine(RepoPaths.Root, "tools", "s3rver");
    readonly TempFolder _data = new();
    Process? _process;
    Task<string>? _endpoint;

    /// <summary>The server's base URL; the server starts on first use, so file-system-only runs never pay for it.</summary>
    public Task<string> Endpoint => _endpoint ??= StartAsync();

    /// <summary>LAKEHOUSE__ settings that point a host at this server, in a fresh bucket.</summary>
    public async Task<Dictionary<string, string>> SettingsForNewBucketAsync() => new()
    {
        ["storage:backend"] = "s3",
        ["s3:endpoint"] = await Endpoint,
        ["s3:bucket"] = "t" + Guid.NewGuid().ToString("N")[..20],
        ["s3:access_key_id"] = AccessKey,
        ["s3:secret_access_key"] = SecretKey,
    };

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    async Task<string> StartAsync()
    {
        var script = Path.Combine(ToolFolder, "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script)) await RunAsync("npm", "ci --no-audit --no-fund", ToolFolder);
        await RunAsync("node", "patch.js", ToolFolder); // idempotent: asserts every patch is in place

        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { script, "-d", _data.Path, "-a", "127.0.0.1", "-p", "0", "--no-vhost-buckets", "--silent" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Without the legacy provider, lists over 1000 keys fail (its continuation tokens use DES).
        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await _process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var match = Listening().Match(line);
            if (match.Success)
            {
                _ = _process.StandardOutput.ReadToEndAsync(CancellationToken.None); // keep draining
                return $"http://127.0.0.1:{match.Groups[1].Value}";
            }
        }
        throw new InvalidOperationException("s3rver exited before it listened");
    }

    static async Task RunAsync(string file, string arguments, string folder)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {arguments}' in {folder} failed ({process.ExitCode}): {await output}{await error}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _data.Dispose();
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();
}
