using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Storage;

/// <summary>The storage REST contract of docs/api.md, run against each backend by a subclass.</summary>
public abstract class StorageContractTests
{
    /// <summary>A host on a fresh, empty store of this backend, with extra LAKEHOUSE settings.</summary>
    protected abstract Task<LakehouseFactory> CreateAsync(Dictionary<string, string>? settings = null);

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static ByteArrayContent Bytes(byte[] data) => new(data);

    static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement;

    static async Task<string[]> ListKeys(HttpClient client, string query = "")
    {
        var page = await Json(await client.GetAsync("/v1/storage/objects" + query, Cancel));
        return [.. page.GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("key").GetString()!)];
    }

    [Fact]
    public async Task Put_then_get_returns_the_same_bytes_with_etag_and_length()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var data = RandomNumberGenerator.GetBytes(100_000);

        var put = await client.PutAsync("/v1/storage/objects/datasets/x/part-1.bin", Bytes(data), Cancel);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var created = await Json(put);
        Assert.Equal("datasets/x/part-1.bin", created.GetProperty("key").GetString());
        Assert.Equal(data.Length, created.GetProperty("size").GetInt64());
        var etag = created.GetProperty("etag").GetString();
        Assert.False(string.IsNullOrEmpty(etag));

        var get = await client.GetAsync("/v1/storage/objects/datasets/x/part-1.bin", Cancel);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Equal(data.Length, get.Content.Headers.ContentLength);
        Assert.Equal($"\"{etag}\"", get.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Multi_megabyte_object_round_trips_intact()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        // Over 5 MiB: the S3 backend uploads it in parts.
        var data = RandomNumberGenerator.GetBytes(12 * 1024 * 1024 + 3);
        var put = await client.PutAsync("/v1/storage/objects/big/blob", Bytes(data), Cancel);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var back = await client.GetByteArrayAsync("/v1/storage/objects/big/blob", Cancel);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
    }

    [Fact]
    public async Task Put_replaces_an_existing_object()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.PutAsync("/v1/storage/objects/k", Bytes("first version"u8.ToArray()), Cancel);
        await client.PutAsync("/v1/storage/objects/k", Bytes("second"u8.ToArray()), Cancel);
        Assert.Equal("second", await client.GetStringAsync("/v1/storage/objects/k", Cancel));
    }

    [Fact]
    public async Task Head_gives_headers_without_body_and_404_when_missing()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.PutAsync("/v1/storage/objects/h/obj", Bytes(new byte[1234]), Cancel);

        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/storage/objects/h/obj"), Cancel);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(1234, head.Content.Headers.ContentLength);
        Assert.NotNull(head.Headers.ETag);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Cancel));

        var missing = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/storage/objects/h/none"), Cancel);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await ProblemAssert.IsProblem(await client.GetAsync("/v1/storage/objects/h/none", Cancel), HttpStatusCode.NotFound, "h/none");
    }

    [Theory]
    [InlineData("bytes=10-19", 10, 10)]
    [InlineData("bytes=990-", 990, 10)]
    [InlineData("bytes=-5", 995, 5)]
    [InlineData("bytes=995-5000", 995, 5)]
    public async Task Range_returns_206_with_exactly_those_bytes(string range, int offset, int length)
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var data = RandomNumberGenerator.GetBytes(1000);
        await client.PutAsync("/v1/storage/objects/r", Bytes(data), Cancel);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/storage/objects/r");
        request.Headers.TryAddWithoutValidation("Range", range);
        var response = await client.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(data.AsSpan(offset, length).ToArray(), await response.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Equal(new ContentRangeHeaderValue(offset, offset + length - 1, 1000), response.Content.Headers.ContentRange);
    }

    [Fact]
    public async Task Range_past_the_end_is_416()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.PutAsync("/v1/storage/objects/r", Bytes(new byte[10]), Cancel);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/storage/objects/r");
        request.Headers.Range = new RangeHeaderValue(10, 20);
        await ProblemAssert.IsProblem(await client.SendAsync(request, Cancel), HttpStatusCode.RequestedRangeNotSatisfiable);
    }

    [Fact]
    public async Task Delete_is_204_whether_or_not_the_object_existed()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.PutAsync("/v1/storage/objects/d/x", Bytes([1]), Cancel);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/storage/objects/d/x", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/storage/objects/d/x", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/storage/objects/d/x", Cancel)).StatusCode);
        Assert.Empty(await ListKeys(client));
    }

    [Fact]
    public async Task List_is_in_byte_order_filtered_by_prefix_and_paged_by_cursor()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        // '-' (0x2D) sorts before '/' (0x2F); 'é' (2 UTF-8 bytes) after 'z'; U+1F600 (4 bytes) after U+FF01.
        string[] keys = ["a/b", "a-c", "a/a/x", "z", "é", "\uFF01", "\U0001F600", "b/1", "b/2", "b/10"];
        foreach (var key in keys)
        {
            var put = await client.PutAsync("/v1/storage/objects/" + Uri.EscapeDataString(key).Replace("%2F", "/", StringComparison.Ordinal), Bytes([1]), Cancel);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        var expected = keys.OrderBy(k => k, Comparer<string>.Create((x, y) =>
            System.Text.Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y)))).ToArray();
        Assert.Equal(expected, await ListKeys(client));
        Assert.Equal(["b/1", "b/10", "b/2"], await ListKeys(client, "?prefix=b/"));
        Assert.Equal(["a-c", "a/a/x", "a/b"], await ListKeys(client, "?prefix=a"));

        var paged = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Json(await client.GetAsync($"/v1/storage/objects?limit=3{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", Cancel));
            var objects = page.GetProperty("objects").EnumerateArray().ToList();
            Assert.InRange(objects.Count, 1, 3);
            paged.AddRange(objects.Select(o => o.GetProperty("key").GetString()!));
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(expected, paged);
    }

    [Fact]
    public async Task List_entries_carry_size_etag_and_last_modified()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var put = await Json(await client.PutAsync("/v1/storage/objects/m/one", Bytes(new byte[42]), Cancel));
        var entry = (await Json(await client.GetAsync("/v1/storage/objects?prefix=m/", Cancel))).GetProperty("objects")[0];
        Assert.Equal(42, entry.GetProperty("size").GetInt64());
        Assert.Equal(put.GetProperty("etag").GetString(), entry.GetProperty("etag").GetString());
        Assert.InRange(entry.GetProperty("last_modified").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10001")]
    [InlineData("ten")]
    public async Task List_limit_out_of_range_is_400(string limit)
    {
        await using var host = await CreateAsync();
        await ProblemAssert.IsProblem(await host.CreateClient().GetAsync("/v1/storage/objects?limit=" + limit, Cancel), HttpStatusCode.BadRequest, "limit");
    }

    [Theory]
    [InlineData("a//b", "empty segment")]
    [InlineData("a/b/", "empty segment")]
    [InlineData("a/./b", "'.' segment")]
    [InlineData("a/../b", "'..' segment")]
    [InlineData("..", "'..' segment")]
    [InlineData("a%5Cb", "backslash")]
    [InlineData("a%0Ab", "control character")]
    [InlineData("%2Fabs", "starts with '/'")]
    public async Task Invalid_keys_are_400_and_store_nothing(string rawKey, string reason)
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        // Sent as written: System.Uri would otherwise resolve "." and ".." before the server saw them.
        var uri = new Uri($"{client.BaseAddress}v1/storage/objects/{rawKey}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var response = await client.PutAsync(uri, Bytes([1]), Cancel);
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, reason);
        Assert.Empty(await ListKeys(client));
    }

    [Fact]
    public async Task Keys_of_512_bytes_work_and_longer_ones_are_400_on_every_backend()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var longest = string.Join('/', Enumerable.Range(0, 4).Select(i => new string((char)('a' + i), 127))); // 511 bytes
        longest += "z";
        var stored = await client.PutAsync("/v1/storage/objects/" + longest, Bytes([9]), Cancel);
        Assert.True(stored.StatusCode == HttpStatusCode.Created, await stored.Content.ReadAsStringAsync(Cancel));
        Assert.Equal([9], await client.GetByteArrayAsync("/v1/storage/objects/" + longest, Cancel));
        var key = "k/" + new string('é', 256); // 514 bytes of UTF-8
        var response = await client.PutAsync("/v1/storage/objects/" + Uri.EscapeDataString(key).Replace("%2F", "/", StringComparison.Ordinal), Bytes([1]), Cancel);
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, "512");
        Assert.Equal([longest], await ListKeys(client));
    }

    /// <summary>The longest key segment the backend's server stores: 255 bytes, less where a test server cannot.</summary>
    protected virtual int LongestSegment => 255;

    [Fact]
    public async Task Segments_of_255_bytes_work_and_longer_ones_are_400_on_every_backend()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var longest = "a/" + new string('b', LongestSegment);
        var stored = await client.PutAsync("/v1/storage/objects/" + longest, Bytes([7]), Cancel);
        Assert.True(stored.StatusCode == HttpStatusCode.Created, await stored.Content.ReadAsStringAsync(Cancel));
        Assert.Equal([7], await client.GetByteArrayAsync("/v1/storage/objects/" + longest, Cancel));
        var tooLong = "a/" + new string('é', 128); // 256 bytes of UTF-8 in one segment
        await ProblemAssert.IsProblem(await client.PutAsync("/v1/storage/objects/" + Uri.EscapeDataString(tooLong).Replace("%2F", "/", StringComparison.Ordinal), Bytes([1]), Cancel),
            HttpStatusCode.BadRequest, "255");
        Assert.Equal([longest], await ListKeys(client));
    }

    [Fact]
    public async Task Module_owned_keys_are_readable_but_not_writable()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await ProblemAssert.IsProblem(await client.PutAsync("/v1/storage/objects/_catalog/x.json", Bytes([1]), Cancel), HttpStatusCode.Forbidden, "_catalog/x.json");
        await ProblemAssert.IsProblem(await client.DeleteAsync("/v1/storage/objects/_vectors/x.lhv1", Cancel), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/storage/objects/_catalog/x.json", Cancel)).StatusCode);
        Assert.Empty(await ListKeys(client));
    }

    [Fact]
    public async Task Body_over_max_put_bytes_is_413_and_stores_nothing()
    {
        await using var host = await CreateAsync(new() { ["storage:max_put_bytes"] = "1000" });
        var client = host.CreateClient();
        await ProblemAssert.IsProblem(await client.PutAsync("/v1/storage/objects/big", Bytes(new byte[1001]), Cancel), HttpStatusCode.RequestEntityTooLarge, "max_put_bytes");

        // Without a Content-Length the limit trips while reading.
        var chunked = new StreamContent(new MemoryStream(new byte[5000]));
        chunked.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/storage/objects/big2") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await ProblemAssert.IsProblem(await client.SendAsync(request, Cancel), HttpStatusCode.RequestEntityTooLarge, "max_put_bytes");

        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/v1/storage/objects/ok", Bytes(new byte[1000]), Cancel)).StatusCode);
        Assert.Equal(["ok"], await ListKeys(client));
    }

    [Fact]
    public async Task Health_lists_the_hosted_modules()
    {
        await using var host = await CreateAsync();
        var client = await host.CreateReadyClientAsync();
        var health = await client.GetFromJsonAsync<JsonElement>("/health", Cancel);
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Contains("storage", health.GetProperty("modules").EnumerateArray().Select(m => m.GetString()));
    }
}
