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
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, detail);
    }

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
}
