using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Hostile;

/// <summary>
/// Generated hostile requests against the real host: CSV bodies, JSON bodies for every JSON endpoint,
/// object keys and names. Every one gets a success or a 4xx problem, never a 5xx, and a refusal
/// changes nothing. Seeded, so a failure replays.
/// </summary>
public sealed class HostileRequestTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static async Task NotA5xxAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True((int)response.StatusCode < 500, $"{what} → {(int)response.StatusCode} {body}");
        if (!response.IsSuccessStatusCode) Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{what} → {(int)response.StatusCode} without a problem: {body}");
    }

    [Fact]
    public async Task Generated_csv_bodies_are_ingested_or_refused_with_a_4xx_that_changes_nothing()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        await client.IngestOkAsync("target", "a,b\n1,x\n");
        var random = new Random(1604);
        string[] pieces = ["a", "1", "-2.5", "2024-02-29", "true", "", "\"", "\"\"", ",", ";", "\t", "\n", "\r\n", "\r", " ", "é", "\u0000", "😀", "x\"y", "0123", "1e999", "NaN"];
        for (var i = 0; i < 200; i++)
        {
            var csv = new StringBuilder();
            for (var n = random.Next(1, 60); n > 0; n--) csv.Append(pieces[random.Next(pieces.Length)]);
            var before = await client.StorageSnapshotAsync();
            var mode = random.Next(2) == 0 ? "append" : "replace";
            var response = await client.IngestAsync("target", csv.ToString(), $"?mode={mode}");
            await NotA5xxAsync(response, $"ingest #{i} {mode} {System.Text.Json.JsonSerializer.Serialize(csv.ToString())} {string.Join("\n", host.Logs.Messages.Where(m => m.Contains("Unhandled")))}");
            if (!response.IsSuccessStatusCode) Assert.Equal(before, await client.StorageSnapshotAsync());
        }
    }

    static JsonNode? RandomValue(Random random, int depth)
    {
        string[] keys = ["sql", "max_rows", "vector", "k", "ef", "items", "id", "metadata", "name", "dim", "metric", "m", "ef_construction", "ef_search", "files", "expected_version"];
        switch (random.Next(depth > 3 ? 6 : 9))
        {
            case 0: return null;
            case 1: return random.Next(2) == 0;
            case 2: return (JsonNode)(random.Next(4) switch { 0 => long.MaxValue, 1 => -1, 2 => 0, _ => random.Next(5000) });
            case 3: return random.Next(3) switch { 0 => 1e308, 1 => -0.5, _ => random.NextDouble() };
            case 4: return random.Next(4) switch { 0 => "", 1 => "SELECT 1", 2 => "../../etc/passwd", _ => new string('x', random.Next(300)) };
            case 5: return "l2";
            case 6 or 7:
                var array = new JsonArray();
                for (var n = random.Next(random.Next(2) == 0 ? 4 : 70); n > 0; n--) array.Add(RandomValue(random, depth + 1));
                return array;
            default:
                var obj = new JsonObject();
                foreach (var key in keys.OrderBy(_ => random.Next()).Take(random.Next(1, 6))) obj[key] = RandomValue(random, depth + 1);
                return obj;
        }
    }

    [Fact]
    public async Task Generated_json_bodies_for_every_json_endpoint_get_a_success_or_a_4xx()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        await client.IngestOkAsync("target", "a,b\n1,x\n");
        (await client.PostAsync("/v1/vectors/indexes", new StringContent("{\"name\":\"v\",\"dim\":2}", Encoding.UTF8, "application/json"), Cancel)).EnsureSuccessStatusCode();
        (await client.PostAsync("/v1/vectors/indexes/v/items", new StringContent("{\"items\":[{\"id\":\"a\",\"vector\":[1,0]}]}", Encoding.UTF8, "application/json"), Cancel)).EnsureSuccessStatusCode();
        (HttpMethod Method, string Path)[] endpoints =
        [
            (HttpMethod.Post, "/v1/sql"), (HttpMethod.Post, "/v1/vectors/indexes"), (HttpMethod.Post, "/v1/vectors/indexes/v/items"),
            (HttpMethod.Post, "/v1/vectors/indexes/v/search"), (HttpMethod.Put, "/v1/catalog/datasets/other"),
        ];
        var random = new Random(1616);
        for (var i = 0; i < 600; i++)
        {
            var (method, path) = endpoints[i % endpoints.Length];
            var value = RandomValue(random, 0);
            var text = random.Next(10) == 0 ? value?.ToJsonString()[..^1] ?? "{" : value?.ToJsonString() ?? "null"; // now and then, cut short
            var response = await client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(text, Encoding.UTF8, "application/json") }, Cancel);
            await NotA5xxAsync(response, $"{method} {path} {text}");
        }
        Assert.Equal(1, (await client.SqlOkAsync("SELECT count(*) FROM target")).GetProperty("rows")[0][0].GetInt64());
    }

    [Fact]
    public async Task Generated_object_keys_and_names_get_a_success_or_a_4xx()
    {
        // Percent-encoded throughout, and no %00: a raw space or non-ASCII byte, or an encoded NUL, in a request line is refused by
        // Kestrel as malformed HTTP (a bare 400) before any endpoint sees it.
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var random = new Random(1606);
        string[] pieces = ["a", "/", "//", ".", "..", "_", "%2F", "%5C", "%0A", "%C3%A9", "%C3", "%FF", "~", "%20", "?", "#", new string('k', 200), "%2E%2E", "con", "-"];
        for (var i = 0; i < 300; i++)
        {
            var key = string.Concat(Enumerable.Range(0, random.Next(1, 8)).Select(_ => pieces[random.Next(pieces.Length)]));
            var uri = new Uri($"{client.BaseAddress}v1/storage/objects/{key}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
            await NotA5xxAsync(await client.PutAsync(uri, new ByteArrayContent([1]), Cancel), $"PUT {key}");
            await NotA5xxAsync(await client.GetAsync(uri, Cancel), $"GET {key}");
            var name = key.Length > 70 ? key[..70] : key;
            await NotA5xxAsync(await client.GetAsync(new Uri($"{client.BaseAddress}v1/catalog/datasets/{name}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }), Cancel), $"GET dataset {name}");
            await NotA5xxAsync(await client.PostAsync(new Uri($"{client.BaseAddress}v1/vectors/indexes/{name}/search", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }),
                new StringContent("{\"vector\":[1],\"k\":1}", Encoding.UTF8, "application/json"), Cancel), $"search {name}");
        }
    }
}
