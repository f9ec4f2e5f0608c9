using System.Net;
using System.Text.Json;

namespace Lakehouse.Tests.Infrastructure;

public static class ProblemAssert
{
    /// <summary>Asserts a problem+json response with this status whose detail mentions <paramref name="detailContains"/>.</summary>
    public static async Task<string> IsProblem(HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal((int)status, json.RootElement.GetProperty("status").GetInt32());
        var detail = json.RootElement.GetProperty("detail").GetString() ?? "";
        if (detailContains is not null) Assert.Contains(detailContains, detail, StringComparison.OrdinalIgnoreCase);
        return detail;
    }
}
