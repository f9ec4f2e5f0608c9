using System.Net;
using System.Net.Http.Json;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Catalog;

public sealed class CatalogApiTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>A Parquet file written by "another tool": an ingested file copied to a key of our choosing.</summary>
    static async Task<string> PutParquetAsync(HttpClient client, string key, string csv)
    {
        var scratch = "scratch_" + Guid.NewGuid().ToString("N")[..8];
        var result = await client.IngestOkAsync(scratch, csv);
        var bytes = await client.GetByteArrayAsync("/v1/storage/objects/" + result.GetProperty("file").GetProperty("key").GetString(), Cancel);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/v1/storage/objects/" + key, new ByteArrayContent(bytes), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/catalog/datasets/" + scratch, Cancel)).StatusCode);
        return key;
    }

    static Task<HttpResponseMessage> RegisterAsync(HttpClient client, string name, object body) =>
        client.PutAsJsonAsync("/v1/catalog/datasets/" + name, body, Cancel);

    [Fact]
    public async Task Registering_parquet_files_reads_schema_and_row_counts_from_their_footers()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var a = await PutParquetAsync(client, "external/a.parquet", "id,name\n1,x\n2,y\n");
        var b = await PutParquetAsync(client, "external/b.parquet", "id,name\n3,z\n");

        var response = await RegisterAsync(client, "ext", new { files = new[] { a, b } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var manifest = await client.JsonAsync("/v1/catalog/datasets/ext");
        Assert.Equal(1, manifest.GetProperty("version").GetInt64());
        Assert.Equal(3, manifest.GetProperty("row_count").GetInt64());
        Assert.Equal(["BIGINT", "VARCHAR"], manifest.Types());
        Assert.Equal([2L, 1L], manifest.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("row_count").GetInt64()));
        Assert.True(manifest.GetProperty("size_bytes").GetInt64() > 0);

        // Registered again with the right expected_version: version 2; with a stale one: 409.
        Assert.Equal(HttpStatusCode.OK, (await RegisterAsync(client, "ext", new { files = new[] { a }, expected_version = 1 })).StatusCode);
        await ProblemAssert.IsProblem(await RegisterAsync(client, "ext", new { files = new[] { b }, expected_version = 1 }), HttpStatusCode.Conflict, "version 2");
        Assert.Equal(2, (await client.JsonAsync("/v1/catalog/datasets/ext")).GetProperty("row_count").GetInt64());
    }

    [Fact]
    public async Task Registering_bad_files_is_refused_and_changes_nothing()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var a = await PutParquetAsync(client, "external/a.parquet", "id,name\n1,x\n");
        var other = await PutParquetAsync(client, "external/other.parquet", "id,price\n1,2.5\n");
        await client.PutAsync("/v1/storage/objects/external/notes.txt", new StringContent("not parquet"), Cancel);
        var before = await client.StorageSnapshotAsync();

        await ProblemAssert.IsProblem(await RegisterAsync(client, "ext", new { files = new[] { a, other } }), HttpStatusCode.Conflict, "'price'");
        await ProblemAssert.IsProblem(await RegisterAsync(client, "ext", new { files = new[] { a, "external/missing.parquet" } }), HttpStatusCode.BadRequest, "does not exist");
        await ProblemAssert.IsProblem(await RegisterAsync(client, "ext", new { files = new[] { "external/notes.txt" } }), HttpStatusCode.BadRequest, "Parquet");
        await ProblemAssert.IsProblem(await RegisterAsync(client, "ext", new { files = Array.Empty<string>() }), HttpStatusCode.BadRequest, "at least one");
        await ProblemAssert.IsProblem(await RegisterAsync(client, "Ext!", new { files = new[] { a } }), HttpStatusCode.BadRequest, "name");
        await ProblemAssert.IsProblem(await RegisterAsync(client, "ext", new { files = new[] { a }, expected_version = 3 }), HttpStatusCode.Conflict, "version 0");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/catalog/datasets/ext", Cancel)).StatusCode);
        Assert.Equal(before, await client.StorageSnapshotAsync());
    }

    [Fact]
    public async Task Datasets_own_their_files_and_never_delete_one_another_manifest_names()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var owned = (await client.IngestOkAsync("owner", "id\n1\n")).GetProperty("file").GetProperty("key").GetString()!;
        // What the review found: registering another dataset's file, then deleting the other, broke the first.
        await ProblemAssert.IsProblem(await RegisterAsync(client, "thief", new { files = new[] { owned } }), HttpStatusCode.BadRequest, "another dataset's folder");
        await ProblemAssert.IsProblem(await RegisterAsync(client, "thief", new { files = new[] { "_catalog/owner.json" } }), HttpStatusCode.BadRequest, "module's own");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/catalog/datasets/thief", Cancel)).StatusCode);

        // A file registered from elsewhere stays when its dataset goes; one in the dataset's own folder goes with the last manifest naming it.
        var external = await PutParquetAsync(client, "exports/x.parquet", "id\n2\n");
        var own = await PutParquetAsync(client, "datasets/ext/y.parquet", "id\n3\n");
        Assert.Equal(HttpStatusCode.OK, (await RegisterAsync(client, "ext", new { files = new[] { external, own } })).StatusCode);
        Assert.Equal(5, (await client.SqlOkAsync("SELECT sum(id) FROM ext")).GetProperty("rows")[0][0].GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await RegisterAsync(client, "ext", new { files = new[] { external } })).StatusCode);
        // The file the registration dropped stays while the earlier version that names it is kept.
        var keys = (await client.StorageSnapshotAsync()).Split('\n');
        Assert.Contains(keys, k => k.StartsWith(own, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/catalog/datasets/ext", Cancel)).StatusCode);
        keys = (await client.StorageSnapshotAsync()).Split('\n');
        Assert.DoesNotContain(keys, k => k.StartsWith(own, StringComparison.Ordinal));
        Assert.Contains(keys, k => k.StartsWith(external, StringComparison.Ordinal));
        Assert.Contains(keys, k => k.StartsWith(owned, StringComparison.Ordinal));
        Assert.Equal(1, (await client.SqlOkAsync("SELECT count(*) FROM owner")).GetProperty("rows")[0][0].GetInt64());
    }

    [Fact]
    public async Task Delete_removes_the_manifest_and_the_datasets_files()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        await client.IngestOkAsync("gone", "a\n1\n");
        await client.IngestOkAsync("gone", "a\n2\n");
        await client.IngestOkAsync("kept", "a\n3\n");

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/catalog/datasets/gone", Cancel)).StatusCode);
        await ProblemAssert.IsProblem(await client.GetAsync("/v1/catalog/datasets/gone", Cancel), HttpStatusCode.NotFound, "gone");
        await ProblemAssert.IsProblem(await client.DeleteAsync("/v1/catalog/datasets/gone", Cancel), HttpStatusCode.NotFound);
        var keys = (await client.StorageSnapshotAsync()).Split('\n');
        Assert.DoesNotContain(keys, k => k.StartsWith("datasets/gone/", StringComparison.Ordinal) || k.StartsWith("_catalog/gone", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.StartsWith("datasets/kept/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Files_a_change_drops_stay_through_the_grace_then_go_and_files_still_named_stay()
    {
        // One version kept, so a replace leaves nothing naming the first version's data and Iceberg files.
        await using var host = new LakehouseFactory(new Dictionary<string, string> { ["catalog:keep_versions"] = "1", ["catalog:dropped_file_grace"] = "3s" });
        var client = host.CreateClient();
        await client.IngestOkAsync("t", "a\n1\n");
        var firstKeys = Keys(await client.JsonAsync("/v1/catalog/datasets/t"));
        await client.IngestOkAsync("t", "a\n2\n", "?mode=replace");
        var secondKeys = Keys(await client.JsonAsync("/v1/catalog/datasets/t"));
        Assert.Empty(firstKeys.Intersect(secondKeys));
        Assert.Equal(4, firstKeys.Count); // the data file and three Iceberg objects

        Assert.Subset(await StoredAsync(), firstKeys.ToHashSet());
        await Polling.UntilAsync(async () =>
        {
            var left = firstKeys.Intersect(await StoredAsync()).ToList();
            return (left.Count == 0, left);
        }, () => "the first version's files to be deleted");
        Assert.Subset(await StoredAsync(), secondKeys.ToHashSet());
        Assert.Equal("[2]", (await client.SqlOkAsync("SELECT sum(a) FROM t")).GetProperty("rows")[0].GetRawText());

        async Task<HashSet<string>> StoredAsync() =>
            [.. (await client.JsonAsync("/v1/storage/objects?limit=10000")).GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("key").GetString()!)];
        static List<string> Keys(System.Text.Json.JsonElement manifest) =>
        [
            .. manifest.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("key").GetString()!),
            .. manifest.GetProperty("iceberg").EnumerateObject().Select(p => p.Value.GetString()!),
        ];
    }

    [Fact]
    public async Task List_is_sorted_by_name_with_totals()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        await client.IngestOkAsync("zeta", "a\n1\n2\n");
        await client.IngestOkAsync("alpha", "a\n1\n");
        await client.IngestOkAsync("alpha", "a\n1\n");
        var list = (await client.JsonAsync("/v1/catalog/datasets")).GetProperty("datasets").EnumerateArray().ToList();
        Assert.Equal(["alpha", "zeta"], list.Select(d => d.GetProperty("name").GetString()));
        Assert.Equal(2, list[0].GetProperty("file_count").GetInt32());
        Assert.Equal(2, list[0].GetProperty("row_count").GetInt64());
        Assert.Equal(2, list[0].GetProperty("version").GetInt64());
        Assert.True(list[1].GetProperty("size_bytes").GetInt64() > 0);
        Assert.True(list[1].TryGetProperty("updated_at", out _));
    }

    [Fact]
    public async Task A_missing_or_badly_named_dataset_is_404_or_400()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        await ProblemAssert.IsProblem(await client.GetAsync("/v1/catalog/datasets/nothing_here", Cancel), HttpStatusCode.NotFound, "nothing_here");
        await ProblemAssert.IsProblem(await client.GetAsync("/v1/catalog/datasets/9lives", Cancel), HttpStatusCode.BadRequest, "name");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"name\":\"other\",\"version\":1,\"schema\":[{\"name\":\"a\",\"type\":\"BIGINT\",\"nullable\":true}],\"files\":[]}")]
    [InlineData("{\"name\":\"bad\",\"version\":1,\"schema\":null,\"files\":[]}")]
    [InlineData("{\"name\":\"bad\",\"version\":1,\"schema\":[{\"name\":\"a\",\"type\":\"BIGINT\",\"nullable\":true}],\"files\":[{\"key\":\"../../etc/passwd\",\"row_count\":1,\"size_bytes\":1}]}")]
    [InlineData("{\"name\":\"bad\",\"version\":1,\"schema\":[{\"name\":\"a\",\"type\":\"BIGINT\",\"nullable\":true}],\"files\":[null]}")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"name\":\"bad\",\"version\":\"one\"}")]
    public async Task A_manifest_that_parses_but_is_not_whole_is_skipped_and_the_others_load(string manifest)
    {
        using var root = new TempFolder();
        await using (var first = new LakehouseFactory(root: root.Path))
        {
            await first.CreateClient().IngestOkAsync("good", "a\n1\n");
        }
        await File.WriteAllTextAsync(Path.Combine(root.Path, "_catalog", "bad.json"), manifest, Cancel);
        await using var second = new LakehouseFactory(root: root.Path);
        var client = await second.CreateReadyClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", Cancel)).StatusCode);
        var names = (await client.JsonAsync("/v1/catalog/datasets")).GetProperty("datasets").EnumerateArray().Select(d => d.GetProperty("name").GetString());
        Assert.Equal(["good"], names);
        Assert.Equal(1, (await client.SqlOkAsync("SELECT count(*) AS n FROM good")).GetProperty("rows")[0][0].GetInt64());
        Assert.Contains(second.Logs.Messages, m => m.Contains("_catalog/bad.json", StringComparison.Ordinal));
    }
}
