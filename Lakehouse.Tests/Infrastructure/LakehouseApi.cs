using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Lakehouse.Tests.Infrastructure;

/// <summary>Thin helpers over the REST API for tests: they send what a client sends, nothing more.</summary>
public static class LakehouseApi
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

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
