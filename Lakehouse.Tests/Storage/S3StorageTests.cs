using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Storage;

public sealed class S3StorageTests(S3TestServer s3) : StorageContractTests
{
    protected override async Task<LakehouseFactory> CreateAsync(Dictionary<string, string>? settings = null)
    {
        var all = await s3.SettingsForNewBucketAsync();
        foreach (var (key, value) in settings ?? []) all[key] = value;
        return new LakehouseFactory(all);
    }
}
