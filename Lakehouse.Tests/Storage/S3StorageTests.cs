using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Storage;

public sealed class S3StorageTests(S3TestServer s3) : StorageContractTests
{
    protected override Task<LakehouseFactory> CreateAsync(Dictionary<string, string>? settings = null) => s3.HostAsync(settings);

    // s3rver stores a key's last segment as a file named segment + "._S3rver_metadata.json" (22 bytes
    // more), so it cannot take the 255 bytes S3 and our filesystem backend take.
    protected override int LongestSegment => 255 - 22;
}

public sealed class S3UnreachableTests
{
    [Fact]
    public async Task An_unreachable_s3_endpoint_is_503_not_500()
    {
        await using var host = new LakehouseFactory(new Dictionary<string, string>
        {
            ["storage:backend"] = "s3",
            ["s3:endpoint"] = "http://127.0.0.1:1",
            ["s3:access_key_id"] = "x",
            ["s3:secret_access_key"] = "y",
        });
        var client = host.CreateClient();
        var cancel = TestContext.Current.CancellationToken;
        await ProblemAssert.IsProblem(await client.PutAsync("/v1/storage/objects/a", new ByteArrayContent([1]), cancel), System.Net.HttpStatusCode.ServiceUnavailable, "S3");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health", cancel)).StatusCode);
    }
}
