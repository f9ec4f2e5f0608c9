using System.Net;
using System.Net.Http.Json;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Reliability;

/// <summary>S3 going away under a running host: 503s that say so, nothing half-applied, and recovery without a restart when it returns.</summary>
public sealed class S3OutageTests(S3TestServer s3)
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    async Task<(LakehouseFactory Host, CuttableProxy Proxy)> HostBehindProxyAsync()
    {
        var settings = await s3.SettingsForNewBucketAsync();
        var proxy = new CuttableProxy(new Uri(settings["s3:endpoint"]));
        settings["s3:endpoint"] = proxy.Endpoint;
        return (new LakehouseFactory(settings), proxy);
    }

    [Fact]
    public async Task Writes_are_503_while_s3_is_away_change_nothing_and_work_again_when_it_returns()
    {
        var (host, proxy) = await HostBehindProxyAsync();
        await using var _ = proxy;
        await using var __ = host;
        var client = await host.CreateReadyClientAsync();
        await client.IngestOkAsync("kept", "a\n1\n2\n");
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "v", dim = 2, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("/v1/vectors/indexes/v/items", new { items = new[] { new { id = "before", vector = new[] { 1f, 0f } } } }, Cancel)).EnsureSuccessStatusCode();

        proxy.Cut();
        await ProblemAssert.IsProblem(await client.IngestAsync("kept", "a\n3\n"), HttpStatusCode.ServiceUnavailable, "S3");
        await ProblemAssert.IsProblem(await client.IngestAsync("fresh", "a\n3\n"), HttpStatusCode.ServiceUnavailable, "S3");
        await ProblemAssert.IsProblem(await client.PostAsJsonAsync("/v1/vectors/indexes/v/items", new { items = new[] { new { id = "during", vector = new[] { 0f, 1f } } } }, Cancel),
            HttpStatusCode.ServiceUnavailable, "not applied");
        await ProblemAssert.IsProblem(await client.GetAsync("/v1/storage/objects/anything", Cancel), HttpStatusCode.ServiceUnavailable, "S3");
        // Reads of what is already local keep working: the dataset is in the query cache.
        Assert.Equal(3, (await client.SqlOkAsync("SELECT sum(a) FROM kept")).GetProperty("rows")[0][0].GetInt64());

        proxy.Restore();
        var index = await Polling.UntilOkAsync(client, "/v1/vectors/indexes/v");
        Assert.Equal(1, index.GetProperty("count").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/vectors/indexes/v/items/during", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/catalog/datasets/fresh", Cancel)).StatusCode);
        Assert.Equal(1, (await client.JsonAsync("/v1/catalog/datasets/kept")).GetProperty("version").GetInt64());
        await client.IngestOkAsync("kept", "a\n3\n");
        (await client.PostAsJsonAsync("/v1/vectors/indexes/v/items", new { items = new[] { new { id = "after", vector = new[] { 0f, 1f } } } }, Cancel)).EnsureSuccessStatusCode();
        Assert.Equal(6, (await client.SqlOkAsync("SELECT sum(a) FROM kept")).GetProperty("rows")[0][0].GetInt64());
        Assert.Equal(2, (await client.JsonAsync("/v1/vectors/indexes/v")).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task An_object_cut_off_mid_stream_aborts_the_response_instead_of_ending_it_short()
    {
        var (host, proxy) = await HostBehindProxyAsync();
        await using var _ = proxy;
        await using var __ = host;
        var client = await host.CreateReadyClientAsync();
        var bytes = new byte[32 << 20];
        Random.Shared.NextBytes(bytes);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/v1/storage/objects/big.bin", new ByteArrayContent(bytes), Cancel)).StatusCode);

        using var response = await client.GetAsync("/v1/storage/objects/big.bin", HttpCompletionOption.ResponseHeadersRead, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        await using var body = await response.Content.ReadAsStreamAsync(Cancel);
        var buffer = new byte[1 << 16];
        await body.ReadExactlyAsync(buffer, Cancel);
        proxy.Cut();
        var received = (long)buffer.Length;
        var failure = await Record.ExceptionAsync(async () =>
        {
            int read;
            while ((read = await body.ReadAsync(buffer, Cancel)) > 0) received += read;
        });
        Assert.True(failure is not null || received == bytes.Length, $"the body ended cleanly after {received} of {bytes.Length} bytes");
        Assert.True(failure is not null, "the host buffered the whole object before the cut; make it larger");
    }
}
