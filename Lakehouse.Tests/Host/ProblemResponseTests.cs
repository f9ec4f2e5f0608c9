using System.Net;
using System.Text;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Host;

/// <summary>Refusals that ASP.NET itself makes (binding, routing, content type) still say what to fix.</summary>
public sealed class ProblemResponseTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("{\"sql\": 5}", "$.sql")]
    [InlineData("{\"sql\": \"SELECT 1\", \"max_rows\": \"ten\"}", "$.max_rows")]
    [InlineData("{\"sql\": \"SELECT 1\"", "open JSON object")]
    public async Task A_body_that_does_not_bind_is_a_400_naming_the_field(string body, string detail)
    {
        await using var host = new LakehouseFactory();
        var response = await host.CreateClient().PostAsync("/v1/sql", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);
        Assert.DoesNotContain("Lakehouse.", await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, detail), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_field_no_endpoint_reads_is_a_400_naming_it_and_changes_nothing()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        (await client.PostAsync("/v1/vectors/indexes", Json("{\"name\":\"v\",\"dim\":2,\"metric\":\"l2\"}"), Cancel)).EnsureSuccessStatusCode();
        // Each a misspelling that, ignored, would have answered wider or stored less than asked.
        (string Method, string Path, string Body, string Field)[] misspelled =
        [
            ("POST", "/v1/vectors/indexes/v/search", "{\"vector\":[1,0],\"k\":1,\"filters\":{\"must\":[]}}", "filters"),
            ("POST", "/v1/vectors/indexes/v/items", "{\"items\":[{\"id\":\"a\",\"vector\":[1,0]},{\"id\":\"b\",\"vector\":[0,1],\"meta\":{}}]}", "meta"),
            ("POST", "/v1/vectors/indexes", "{\"name\":\"w\",\"dim\":2,\"metrics\":\"dot\"}", "metrics"),
            ("POST", "/v1/vectors/indexes/v/items:from-sql", "{\"query\":\"SELECT 1\"}", "query"),
            ("POST", "/v1/sql", "{\"sql\":\"SELECT 1\",\"maxrows\":1}", "maxrows"),
            ("PUT", "/v1/catalog/datasets/d", "{\"file\":[\"x.parquet\"]}", "file"),
        ];
        foreach (var (method, path, body, field) in misspelled)
        {
            var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json(body) }, Cancel);
            var detail = await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, $"field this endpoint does not take: '{field}'");
            Assert.DoesNotContain("Lakehouse.", detail, StringComparison.Ordinal); // the API's words, not .NET's type names
        }
        Assert.Equal(0, (await client.JsonAsync("/v1/vectors/indexes/v")).GetProperty("count").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/vectors/indexes/w", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/catalog/datasets/d", Cancel)).StatusCode);
    }

    static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415_that_says_so()
    {
        await using var host = new LakehouseFactory();
        var response = await host.CreateClient().PostAsync("/v1/sql", new StringContent("SELECT 1", Encoding.UTF8, "text/plain"), Cancel);
        await ProblemAssert.IsProblem(response, HttpStatusCode.UnsupportedMediaType, "application/json");
    }

    [Fact]
    public async Task Unknown_routes_and_methods_say_which()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        await ProblemAssert.IsProblem(await client.GetAsync("/v1/nothing-here", Cancel), HttpStatusCode.NotFound, "GET /v1/nothing-here");
        await ProblemAssert.IsProblem(await client.DeleteAsync("/v1/sql", Cancel), HttpStatusCode.MethodNotAllowed, "DELETE");
    }

    [Fact]
    public async Task Every_json_body_is_bounded_by_max_json_bytes_by_length_or_while_it_streams()
    {
        await using var host = new LakehouseFactory(new Dictionary<string, string> { ["host:max_json_bytes"] = "4096" });
        var client = host.CreateClient();
        var vector = string.Join(",", Enumerable.Repeat("0.5", 2000));
        await ProblemAssert.IsProblem(await client.PostAsync("/v1/vectors/indexes/v/search", new StringContent($"{{\"vector\":[{vector}],\"k\":1}}", Encoding.UTF8, "application/json"), Cancel),
            HttpStatusCode.RequestEntityTooLarge, "host.max_json_bytes");
        // Chunked: no Content-Length, refused once the bytes cross the limit.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($"{{\"sql\":\"SELECT 1 /* {new string('x', 10_000)} */\"}}")));
        chunked.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sql") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await ProblemAssert.IsProblem(await client.SendAsync(request, Cancel), HttpStatusCode.RequestEntityTooLarge, "host.max_json_bytes");
        // Below the limit JSON works, and the endpoints with limits of their own are not held to it.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/sql", new StringContent("{\"sql\":\"SELECT 1\"}", Encoding.UTF8, "application/json"), Cancel)).StatusCode);
        var csv = "a\n" + string.Join("\n", Enumerable.Range(0, 5000)) + "\n";
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/v1/ingest/big", new StringContent(csv, Encoding.UTF8, "text/csv"), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/v1/storage/objects/big.bin", new ByteArrayContent(new byte[10_000]), Cancel)).StatusCode);
    }
}
