using Lakehouse.Tools;

[assembly: AssemblyFixture(typeof(Lakehouse.Tests.Infrastructure.S3TestServer))]

namespace Lakehouse.Tests.Infrastructure;

/// <summary>
/// One real S3-protocol server (s3rver) for the whole test run, started on first use so that runs
/// without S3 tests never pay for it; each test uses a bucket of its own.
/// </summary>
public sealed class S3TestServer : IAsyncLifetime
{
    Task<S3rverProcess>? _server;

    Task<S3rverProcess> Server => _server ??= S3rverProcess.StartAsync(RepoPaths.Root);

    /// <summary>LAKEHOUSE settings that point a host at this server, in a fresh bucket.</summary>
    public async Task<Dictionary<string, string>> SettingsForNewBucketAsync() => new()
    {
        ["storage:backend"] = "s3",
        ["s3:endpoint"] = (await Server).Endpoint,
        ["s3:bucket"] = "t" + Guid.NewGuid().ToString("N")[..20],
        ["s3:access_key_id"] = S3rverProcess.AccessKey,
        ["s3:secret_access_key"] = S3rverProcess.SecretKey,
    };

    /// <summary>A host on a fresh bucket of this server, with <paramref name="settings"/> on top (they may name the bucket).</summary>
    public async Task<LakehouseFactory> HostAsync(Dictionary<string, string>? settings = null)
    {
        var all = await SettingsForNewBucketAsync();
        foreach (var (key, value) in settings ?? []) all[key] = value;
        return new LakehouseFactory(all, all.GetValueOrDefault("storage:root"));
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await (await _server).DisposeAsync();
    }
}
