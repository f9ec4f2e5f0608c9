using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Lakehouse.Tests.Infrastructure;

/// <summary>Thin helpers over the REST API for tests: they send what a client sends, nothing more.</summary>
public static class LakehouseApi
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static async Task<HttpResponseMessage> SqlAsync(this HttpClient client, string sql, long? maxRows = null, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sql") { Content = JsonContent.Create(new { sql, max_rows = maxRows }) };
        if (accept is not null) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        return await client.SendAsync(request, Cancel);
    }

    /// <summary>The JSON result of a query that must succeed.</summary>
    public static async Task<JsonElement> SqlOkAsync(this HttpClient client, string sql, long? maxRows = null)
    {
        var response = await client.SqlAsync(sql, maxRows);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{sql}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static Task<HttpResponseMessage> IngestAsync(this HttpClient client, string dataset, string csv, string query = "") =>
        client.IngestAsync(dataset, Encoding.UTF8.GetBytes(csv), query);

    public static Task<HttpResponseMessage> IngestAsync(this HttpClient client, string dataset, byte[] csv, string query = "", string contentType = "text/csv")
    {
        var content = new ByteArrayContent(csv);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return client.PostAsync($"/v1/ingest/{dataset}{query}", content, Cancel);
    }

    public static async Task<JsonElement> IngestOkAsync(this HttpClient client, string dataset, string csv, string query = "")
    {
        var response = await client.IngestAsync(dataset, csv, query);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"ingest {dataset}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> JsonAsync(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path, Cancel);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Every object key in storage with its ETag: what "nothing changed" compares.</summary>
    public static async Task<string> StorageSnapshotAsync(this HttpClient client)
    {
        var page = await client.JsonAsync("/v1/storage/objects?limit=10000");
        return string.Join("\n", page.GetProperty("objects").EnumerateArray().Select(o => $"{o.GetProperty("key")} {o.GetProperty("etag")}"));
    }

    public static async Task<string> CatalogSnapshotAsync(this HttpClient client) => (await client.JsonAsync("/v1/catalog/datasets")).GetRawText();

    public static string[] Types(this JsonElement manifestOrResult) =>
        [.. manifestOrResult.GetProperty("schema").EnumerateArray().Select(c => c.GetProperty("type").GetString()!)];
}
