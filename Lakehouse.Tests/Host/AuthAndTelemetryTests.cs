using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Lakehouse.Common;
using Lakehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lakehouse.Tests.Host;

public sealed partial class AuthAndTelemetryTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static async Task<LakehouseFactory> WithKeysAsync(TempFolder folder)
    {
        var config = Path.Combine(folder.Path, "lakehouse.toml");
        await File.WriteAllTextAsync(config, """
            [auth]
            keys = [
              { key = "writer-key", role = "read_write" },
              { key = "reader-key", role = "read_only" },
            ]
            """, Cancel);
        return new LakehouseFactory(configPath: config);
    }

    static HttpRequestMessage Request(HttpMethod method, string path, string? key, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    [Fact]
    public async Task With_keys_every_v1_route_needs_one_and_read_only_keys_only_read()
    {
        using var folder = new TempFolder();
        await using var host = await WithKeysAsync(folder);
        var client = host.CreateClient();

        await ProblemAssert.IsProblem(await client.SendAsync(Request(HttpMethod.Get, "/v1/catalog/datasets", null), Cancel), HttpStatusCode.Unauthorized, "Bearer");
        await ProblemAssert.IsProblem(await client.SendAsync(Request(HttpMethod.Get, "/v1/catalog/datasets", "wrong"), Cancel), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Request(HttpMethod.Get, "/health", null), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Request(HttpMethod.Get, "/metrics", null), Cancel)).StatusCode);

        var csv = () => new StringContent("a\n1\n", System.Text.Encoding.UTF8, "text/csv");
        await ProblemAssert.IsProblem(await client.SendAsync(Request(HttpMethod.Post, "/v1/ingest/t", "reader-key", csv()), Cancel), HttpStatusCode.Forbidden, "read_only");
        await ProblemAssert.IsProblem(await client.SendAsync(Request(HttpMethod.Put, "/v1/storage/objects/x", "reader-key", new ByteArrayContent([1])), Cancel), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblem(await client.SendAsync(Request(HttpMethod.Post, "/v1/vectors/indexes", "reader-key", JsonContent.Create(new { name = "v", dim = 2 })), Cancel), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(Request(HttpMethod.Post, "/v1/ingest/t", "writer-key", csv()), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(Request(HttpMethod.Post, "/v1/vectors/indexes", "writer-key", JsonContent.Create(new { name = "v", dim = 2 })), Cancel)).StatusCode);

        // Reads, including SQL and vector search, work with the read-only key.
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Request(HttpMethod.Post, "/v1/sql", "reader-key", JsonContent.Create(new { sql = "SELECT count(*) FROM t" })), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Request(HttpMethod.Post, "/v1/vectors/indexes/v/search", "reader-key", JsonContent.Create(new { vector = new[] { 1f, 0f }, k = 1 })), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Request(HttpMethod.Get, "/v1/catalog/datasets/t", "reader-key"), Cancel)).StatusCode);
    }

    /// <summary>Every /v1 endpoint the host maps, with a path that fills its route parameters.</summary>
    static List<(string Method, string Path, EndpointAccess Access)> MappedV1Endpoints(LakehouseFactory host)
    {
        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1/", StringComparison.Ordinal) == true)
            .ToList();
        Assert.NotEmpty(endpoints);
        var undeclared = endpoints.Where(e => e.Metadata.GetMetadata<EndpointAccess>() is null).Select(e => e.DisplayName).ToList();
        Assert.Empty(undeclared);
        return [.. endpoints.SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(method => (
            method,
            RouteParameter().Replace(e.RoutePattern.RawText!, m => m.Groups[1].Value switch { "key" => "a/b.bin", "name" => "search", "dataset" => "search", _ => "search" }),
            e.Metadata.GetMetadata<EndpointAccess>()!)))];
    }

    [Fact]
    public async Task A_read_only_key_is_refused_on_every_mapped_write_endpoint_and_allowed_on_every_read()
    {
        using var folder = new TempFolder();
        await using var host = await WithKeysAsync(folder);
        var client = host.CreateClient();
        var endpoints = MappedV1Endpoints(host);
        Assert.Contains(endpoints, e => !e.Access.ReadOnly);
        Assert.Contains(endpoints, e => e.Access.ReadOnly);
        Assert.Contains(endpoints, e => e.Access.ModulesOnly);
        foreach (var (method, path, access) in endpoints)
        {
            // Headers only: the catalog's change feed never ends.
            using var response = await client.SendAsync(Request(new HttpMethod(method), path, "reader-key", AnyBody(method, path)), HttpCompletionOption.ResponseHeadersRead, Cancel);
            if (access.ReadOnly) Assert.True(response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized), $"{method} {path} refused a read_only key: {(int)response.StatusCode}");
            else await ProblemAssert.IsProblem(response, HttpStatusCode.Forbidden, access.ModulesOnly ? "module" : "read_only");
        }
        // Nothing was written; the review found POST /v1/ingest/search taken for a vector search, a 201.
        var datasets = await (await client.SendAsync(Request(HttpMethod.Get, "/v1/catalog/datasets", "writer-key"), Cancel)).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Cancel);
        Assert.Equal(0, datasets.GetProperty("datasets").GetArrayLength());
        var objects = await (await client.SendAsync(Request(HttpMethod.Get, "/v1/storage/objects", "writer-key"), Cancel)).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Cancel);
        Assert.Equal(0, objects.GetProperty("objects").GetArrayLength());
    }

    /// <summary>A body each endpoint could take, so that nothing but the key decides a refusal.</summary>
    static HttpContent? AnyBody(string method, string path) =>
        path.StartsWith("/v1/ingest", StringComparison.Ordinal) ? new StringContent("a\n1\n", System.Text.Encoding.UTF8, "text/csv")
            : method is "POST" or "PUT" ? new StringContent("{}", System.Text.Encoding.UTF8, "application/json") : null;

    [Fact]
    public async Task Endpoints_for_modules_refuse_every_caller_but_a_module_key_and_so_do_module_owned_objects()
    {
        using var folder = new TempFolder();
        var config = Path.Combine(folder.Path, "lakehouse.toml");
        await File.WriteAllTextAsync(config, """
            [auth]
            keys = [{ key = "writer-key", role = "read_write" }, { key = "module-key", role = "module" }]
            """, Cancel);
        await using var withKeys = new LakehouseFactory(configPath: config);
        await using var withoutKeys = new LakehouseFactory();
        var commit = () => JsonContent.Create(new { expected_version = 0, schema = new[] { new { name = "a", type = "BIGINT", nullable = true } }, files = Array.Empty<object>() });
        foreach (var (host, key) in new[] { (withKeys, "writer-key"), (withoutKeys, (string?)null) })
        {
            var client = host.CreateClient();
            foreach (var (method, path, _) in MappedV1Endpoints(host).Where(e => e.Access.ModulesOnly))
            {
                await ProblemAssert.IsProblem(await client.SendAsync(Request(new HttpMethod(method), path, key, AnyBody(method, path)), Cancel), HttpStatusCode.Forbidden, "role = \"module\"");
            }
            await ProblemAssert.IsProblem(await client.SendAsync(Request(HttpMethod.Put, "/v1/storage/objects/_catalog/forged.json", key, new ByteArrayContent([1])), Cancel), HttpStatusCode.Forbidden, "module");
            await ProblemAssert.IsProblem(await client.SendAsync(Request(HttpMethod.Post, "/v1/catalog/datasets/forged/commits", key, commit()), Cancel), HttpStatusCode.Forbidden, "module");
        }
        var modules = withKeys.CreateClient();
        Assert.Equal(HttpStatusCode.Created, (await modules.SendAsync(Request(HttpMethod.Put, "/v1/storage/objects/_vectors/own.bin", "module-key", new ByteArrayContent([1])), Cancel)).StatusCode);
        var committed = await modules.SendAsync(Request(HttpMethod.Post, "/v1/catalog/datasets/made/commits", "module-key", commit()), Cancel);
        Assert.Equal(HttpStatusCode.OK, committed.StatusCode);
        Assert.Equal(1, (await committed.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Cancel)).GetProperty("version").GetInt32());
        // The compare-and-swap: the same expected version again has lost the race, and says so by its type.
        var lost = await modules.SendAsync(Request(HttpMethod.Post, "/v1/catalog/datasets/made/commits", "module-key", commit()), Cancel);
        Assert.Equal(HttpStatusCode.Conflict, lost.StatusCode);
        var problem = await lost.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Cancel);
        Assert.Contains("version 1, not the expected 0", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("urn:lakehouse:problem:version-conflict", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Metrics_are_served_as_prometheus_text()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        await client.IngestOkAsync("m", "a\n1\n");
        await client.PostAsJsonAsync("/v1/sql", new { sql = "SELECT 1" }, Cancel);
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "mv", dim = 2, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("/v1/vectors/indexes/mv/items", new { items = new[] { new { id = "a", vector = new[] { 1f, 0f } }, new { id = "b", vector = new[] { 0f, 1f } } } }, Cancel)).EnsureSuccessStatusCode();
        var text = await client.GetStringAsync("/metrics", Cancel);
        Assert.Contains("lakehouse_ingest_rows", text, StringComparison.Ordinal);
        Assert.Contains("lakehouse_query_duration", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration", text, StringComparison.Ordinal);
        Assert.Matches(@"lakehouse_vectors_index_vectors\{[^}]*index=""mv""[^}]*\} 2\b", text);
    }

    [Fact]
    public async Task A_module_not_listed_is_neither_registered_nor_mapped()
    {
        await using var host = new LakehouseFactory(new Dictionary<string, string> { ["host:modules"] = "storage,vectors" });
        var client = await host.CreateReadyClientAsync();
        var health = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/health", Cancel);
        Assert.Equal(["storage", "vectors"], health.GetProperty("modules").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/catalog/datasets", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/v1/sql", new { sql = "SELECT 1" }, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/vectors/indexes", Cancel)).StatusCode);
        Assert.Null(host.Services.GetService(typeof(Lakehouse.Catalog.ICatalog)));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\{\*{0,2}([a-z]+)\}")]
    private static partial System.Text.RegularExpressions.Regex RouteParameter();
}
