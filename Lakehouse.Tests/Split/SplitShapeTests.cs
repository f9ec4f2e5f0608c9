using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;
using Lakehouse.Tools;

namespace Lakehouse.Tests.Split;

/// <summary>
/// One end-to-end scenario, the same in every shape: ingest, appends from two processes at once,
/// query, registering an outside Parquet file, vectors, and a SIGKILL and restart of each process.
/// Requests go where an operator would send them: ingest to an ingest process, SQL and vectors to
/// the query process, storage and registration to the storage process.
/// </summary>
public abstract class SplitShapeTests
{
    const int AppendsPerIngester = 8;
    const int RowsPerAppend = 5;

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected abstract Task<Dictionary<string, string>> StorageAsync(string root);

    [Theory]
    [InlineData(Shape.One)]
    [InlineData(Shape.Two)]
    [InlineData(Shape.Three)]
    public async Task The_scenario_passes_in_this_shape(Shape shape)
    {
        using var root = new TempFolder();
        await using var lakehouse = await SplitDeployment.StartAsync(shape, await StorageAsync(Path.Combine(root.Path, "data")), root.Path);
        var (first, second) = lakehouse.Ingesters;
        var query = lakehouse.For("query");
        var storage = lakehouse.For("storage");
        var rows = new List<long>();

        // Ingest, then appends from two processes at once: every one lands (compare-and-swap on the version).
        await first.IngestOkAsync("events", Csv(Enumerable.Range(1, 100).Select(i => (long)i), rows));
        var next = 1000L;
        var appends = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < AppendsPerIngester; i++)
        {
            foreach (var ingester in new[] { first, second })
            {
                var csv = Csv(Enumerable.Range(0, RowsPerAppend).Select(_ => next++), rows);
                appends.Add(ingester.IngestAsync("events", csv, "?mode=append"));
            }
        }
        foreach (var response in await Task.WhenAll(appends))
        {
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"append: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
        }
        Assert.Equal(1 + (2 * AppendsPerIngester), (await lakehouse.For("catalog").JsonAsync("/v1/catalog/datasets/events")).GetProperty("version").GetInt32());
        await UntilAsync(query, "SELECT count(*) || ':' || sum(id) FROM events", $"{rows.Count}:{rows.Sum()}");

        // A Parquet file written elsewhere, registered with the catalog, is queryable on the query process within a second.
        var manifest = await lakehouse.For("catalog").JsonAsync("/v1/catalog/datasets/events");
        var someFile = manifest.GetProperty("files")[0].GetProperty("key").GetString();
        var bytes = await storage.GetByteArrayAsync("/v1/storage/objects/" + someFile, Cancel);
        Assert.Equal(HttpStatusCode.Created, (await storage.PutAsync("/v1/storage/objects/outside/e.parquet", new ByteArrayContent(bytes), Cancel)).StatusCode);
        var registered = await lakehouse.For("catalog").PutAsJsonAsync("/v1/catalog/datasets/outside", new { files = new[] { "outside/e.parquet" } }, Cancel);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        await UntilAsync(query, "SELECT count(*) FROM outside", "100");

        // Vectors, through a storage that may be in another process.
        var vectors = lakehouse.For("vectors");
        (await vectors.PostAsJsonAsync("/v1/vectors/indexes", new { name = "docs", dim = 4, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        var items = Enumerable.Range(0, 40).Select(i => new { id = $"d{i}", vector = new[] { i, i % 7, i % 3, 1f }, metadata = new { i } }).ToArray();
        (await vectors.PostAsJsonAsync("/v1/vectors/indexes/docs/items", new { items }, Cancel)).EnsureSuccessStatusCode();
        Assert.Equal("d17", await NearestAsync(vectors, [17, 17 % 7, 17 % 3, 1]));

        // Each process in turn is killed and started again; the others recover on their own.
        foreach (var role in lakehouse.Roles)
        {
            await lakehouse.RestartAsync(role);
            (first, second) = lakehouse.Ingesters;
            query = lakehouse.For("query");
            await UntilAsync(query, "SELECT count(*) || ':' || sum(id) FROM events", $"{rows.Count}:{rows.Sum()}");
            await UntilAsync(query, "SELECT count(*) FROM outside", "100");
            Assert.Equal("d17", await NearestAsync(lakehouse.For("vectors"), [17, 17 % 7, 17 % 3, 1]));
            // And it still takes writes, from both ingest processes, seen by the query process.
            await OkAsync(first.IngestAsync("events", Csv([next++], rows), "?mode=append"));
            await OkAsync(second.IngestAsync("events", Csv([next++], rows), "?mode=append"));
            await UntilAsync(query, "SELECT count(*) || ':' || sum(id) FROM events", $"{rows.Count}:{rows.Sum()}");
        }
    }

    static string Csv(IEnumerable<long> ids, List<long> ledger)
    {
        var csv = new StringBuilder("id,label\n");
        foreach (var id in ids)
        {
            lock (ledger) ledger.Add(id);
            csv.Append(id).Append(",row ").Append(id).Append('\n');
        }
        return csv.ToString();
    }

    static async Task OkAsync(Task<HttpResponseMessage> request)
    {
        var response = await request;
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
    }

    static async Task<string?> NearestAsync(HttpClient vectors, float[] vector)
    {
        var response = await Polling.UntilAsync(async () =>
        {
            var search = await vectors.PostAsJsonAsync("/v1/vectors/indexes/docs/search", new { vector, k = 1 }, Cancel);
            return search.StatusCode == HttpStatusCode.OK ? (true, await search.Content.ReadFromJsonAsync<JsonElement>(Cancel)) : (false, default);
        }, () => "a vector search");
        return response.GetProperty("results")[0].GetProperty("id").GetString();
    }

    /// <summary>Asks the query process until the one-cell answer is <paramref name="expected"/>: a change made in another process arrives within moments.</summary>
    static async Task UntilAsync(HttpClient query, string sql, string expected)
    {
        string? last = null;
        await Polling.UntilAsync(async () =>
        {
            var response = await query.SqlAsync(sql);
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}";
            if (response.StatusCode != HttpStatusCode.OK) return (false, false);
            var cell = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("rows")[0][0];
            return (cell.ToString() == expected, true);
        }, () => $"{sql} = {expected}; last answer {last}");
    }
}

public sealed class FileSystemSplitShapeTests : SplitShapeTests
{
    protected override Task<Dictionary<string, string>> StorageAsync(string root) =>
        Task.FromResult(new Dictionary<string, string> { ["storage:root"] = root });
}

public sealed class S3SplitShapeTests(S3TestServer s3) : SplitShapeTests
{
    protected override Task<Dictionary<string, string>> StorageAsync(string root) => s3.SettingsForNewBucketAsync();
}
