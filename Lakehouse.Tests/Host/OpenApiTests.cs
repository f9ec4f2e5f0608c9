using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lakehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lakehouse.Tests.Host;

/// <summary>The API described by OpenAPI: every route the host maps, valid, with its security scheme; a browsable reference served offline.</summary>
public sealed partial class OpenApiTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_mapped_route_is_in_a_valid_document()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var text = await client.GetStringAsync("/openapi/v1.json", Cancel);

        var read = Microsoft.OpenApi.OpenApiDocument.Parse(text, "json");
        Assert.Empty(read.Diagnostic?.Errors ?? []);
        var errors = Microsoft.OpenApi.OpenApiElementExtensions.Validate(read.Document!, Microsoft.OpenApi.ValidationRuleSet.GetDefaultRuleSet());
        Assert.Empty(errors.Select(e => $"{e.Pointer}: {e.Message}"));

        using var document = JsonDocument.Parse(text);
        var paths = document.RootElement.GetProperty("paths");
        var described = paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(o => $"{o.Name.ToUpperInvariant()} {p.Name}")).ToHashSet();
        var mapped = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && (raw.StartsWith("/v1/", StringComparison.Ordinal) || raw.StartsWith("/iceberg/", StringComparison.Ordinal) || raw == "/health"))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(method => $"{method} {CatchAll().Replace(e.RoutePattern.RawText!, "{$1}")}"))
            .ToList();
        Assert.True(mapped.Count > 30, $"only {mapped.Count} routes found");
        Assert.All(mapped, route => Assert.Contains(route, described));

        // Every parameter a path template names is declared by each of its operations (the catch-all
        // {**key} was not, by the framework alone), and every operation describes its failures.
        foreach (var path in paths.EnumerateObject())
        {
            var named = Parameter().Matches(path.Name).Select(m => m.Groups[1].Value).ToList();
            foreach (var operation in path.Value.EnumerateObject())
            {
                var declared = operation.Value.TryGetProperty("parameters", out var parameters)
                    ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "path").Select(p => p.GetProperty("name").GetString()).ToList()
                    : [];
                Assert.All(named, name => Assert.Contains(name, declared));
                Assert.True(operation.Value.GetProperty("responses").TryGetProperty("4XX", out _), $"{operation.Name} {path.Name} describes no failure");
            }
        }
        var put = paths.GetProperty("/v1/storage/objects/{key}").GetProperty("put");
        Assert.True(put.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/octet-stream", out _));
        Assert.True(paths.GetProperty("/v1/ingest/{dataset}").GetProperty("post").GetProperty("requestBody").GetProperty("content").TryGetProperty("text/csv", out _));
        var sql = paths.GetProperty("/v1/sql").GetProperty("post");
        Assert.True(sql.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(sql.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("text/csv", out _));
    }

    [Fact]
    public async Task With_keys_the_document_declares_bearer_security_and_the_reference_is_served_offline()
    {
        using var folder = new TempFolder();
        var config = Path.Combine(folder.Path, "keys.toml");
        await File.WriteAllTextAsync(config, "[auth]\nkeys = [{ key = \"k\", role = \"read_write\" }]\n", Cancel);
        await using var host = new LakehouseFactory(configPath: config);
        var client = host.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Cancel));
        Assert.Equal("bearer", document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.True(document.RootElement.GetProperty("security")[0].TryGetProperty("bearer", out _));

        var page = await client.GetStringAsync("/docs/", Cancel);
        var scripts = Script().Matches(page).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, src => Assert.DoesNotMatch("^(https?:)?//", src)); // nothing from the internet
        foreach (var src in scripts)
        {
            var asset = await client.GetAsync(new Uri(new Uri(client.BaseAddress!, "/docs/"), src), Cancel);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.True((await asset.Content.ReadAsByteArrayAsync(Cancel)).Length > 1000, $"{src} is served");
        }
    }

    [GeneratedRegex(@"\{\*\*?([A-Za-z_]+)\}")]
    private static partial Regex CatchAll();

    [GeneratedRegex(@"\{([A-Za-z_]+)\}")]
    private static partial Regex Parameter();

    [GeneratedRegex("<script[^>]*src=\"([^\"]+)\"")]
    private static partial Regex Script();
}
