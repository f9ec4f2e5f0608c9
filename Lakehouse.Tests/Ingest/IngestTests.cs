using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Ingest;

public sealed class FileSystemIngestTests : IngestContractTests
{
    protected override Task<LakehouseFactory> CreateAsync(Dictionary<string, string>? settings = null, string? root = null) =>
        Task.FromResult(new LakehouseFactory(settings, root));
}

public sealed class S3IngestTests(S3TestServer s3) : IngestContractTests
{
    protected override Task<LakehouseFactory> CreateAsync(Dictionary<string, string>? settings = null, string? root = null) =>
        s3.HostAsync(root is null ? settings : new Dictionary<string, string>(settings ?? []) { ["storage:root"] = root });

    protected override Task<Dictionary<string, string>> SharedSettingsAsync() => s3.SettingsForNewBucketAsync();
}
