using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lakehouse.Catalog;
using Lakehouse.Common;
using Lakehouse.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lakehouse.Tests.Catalog;

/// <summary>Compaction merges a dataset's small files: same rows, same types, same order, one new version; nothing lost beside it.</summary>
public sealed class CompactionTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Rows of every type ingest infers, NULLs included, numbered so that order shows.</summary>
    static string Rows(int from, int count)
    {
        var csv = new StringBuilder("id,price,name,day,flag,at\n");
        for (var i = from; i < from + count; i++)
        {
            csv.Append(i).Append(',').Append(i % 5 == 0 ? "" : (i * 1.25).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(',')
                .Append(i % 7 == 0 ? "" : $"\"name {i}, the {i % 3}th\"").Append(',').Append($"2024-01-{1 + (i % 28):00}").Append(',')
                .Append(i % 2 == 0 ? "true" : "false").Append(',').Append($"2024-02-03 04:05:{i % 60:00}").Append('\n');
        }
        return csv.ToString();
    }

    static async Task<HttpResponseMessage> CompactAsync(HttpClient client, string name) =>
        await client.PostAsync($"/v1/catalog/datasets/{name}/compact", null, Cancel);

    static async Task<string> AllRowsAsync(HttpClient client, string name) => (await client.SqlOkAsync($"SELECT * FROM {name}")).GetProperty("rows").GetRawText();

    [Fact]
    public async Task Compaction_keeps_rows_types_and_order_and_the_merged_files_go()
    {
        // Only the current version kept: no earlier version names the merged files, so they go.
        await using var host = new LakehouseFactory(new Dictionary<string, string> { ["catalog:compact_min_files"] = "0", ["catalog:keep_versions"] = "1" });
        var client = host.CreateClient();
        await client.IngestOkAsync("t", Rows(0, 40));
        for (var i = 1; i <= 30; i++) await client.IngestOkAsync("t", Rows(i * 40, 3 + (i % 4)), "?mode=append");
        var before = await client.JsonAsync("/v1/catalog/datasets/t");
        var rowsBefore = await AllRowsAsync(client, "t");

        var response = await CompactAsync(client, "t");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var after = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);

        Assert.Equal(before.GetProperty("version").GetInt64() + 1, after.GetProperty("version").GetInt64());
        Assert.Equal(1, after.GetProperty("files").GetArrayLength());
        Assert.Equal(before.GetProperty("row_count").GetInt64(), after.GetProperty("row_count").GetInt64());
        Assert.Equal(before.GetProperty("schema").GetRawText(), after.GetProperty("schema").GetRawText());
        Assert.Equal(rowsBefore, await AllRowsAsync(client, "t"));
        Assert.Equal(["BIGINT", "DOUBLE", "VARCHAR", "DATE", "BOOLEAN", "TIMESTAMP"], (await client.SqlOkAsync("SELECT * FROM t LIMIT 1")).GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("type").GetString()));
        // The merged files are gone from storage; the new one is the only data file left of the dataset,
        // and only this version's Iceberg metadata is left beside it.
        var stored = (await client.JsonAsync("/v1/storage/objects?prefix=datasets/t/")).GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("key").GetString()).ToList();
        var iceberg = after.GetProperty("iceberg");
        string?[] named = [after.GetProperty("files")[0].GetProperty("key").GetString(), iceberg.GetProperty("metadata").GetString(), iceberg.GetProperty("manifest_list").GetString(), iceberg.GetProperty("manifest").GetString()];
        Assert.Equal(named.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));

        // Nothing left to merge: the same manifest, no new version.
        var again = await (await CompactAsync(client, "t")).Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(after.GetProperty("version").GetInt64(), again.GetProperty("version").GetInt64());
        await ProblemAssert.IsProblem(await CompactAsync(client, "missing"), HttpStatusCode.NotFound, "missing");
        await ProblemAssert.IsProblem(await CompactAsync(client, "Bad-Name"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Appends_during_a_compaction_all_land_after_it_and_queries_never_fail()
    {
        // Dropped files linger for running queries, as by default.
        await using var host = new LakehouseFactory(new Dictionary<string, string> { ["catalog:compact_min_files"] = "0", ["catalog:dropped_file_grace"] = "60s" });
        var client = host.CreateClient();
        var expected = 0L;
        await client.IngestOkAsync("t", Rows(0, 10));
        expected += 10;
        for (var i = 1; i < 120; i++)
        {
            await client.IngestOkAsync("t", Rows(i * 10, 2), "?mode=append");
            expected += 2;
        }
        using var stop = new CancellationTokenSource();
        var queries = 0;
        var querying = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var response = await client.SqlAsync("SELECT count(*), sum(id) FROM t");
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"a query during compaction failed: {await response.Content.ReadAsStringAsync(Cancel)}");
                queries++;
            }
        }, Cancel);
        var compaction = CompactAsync(client, "t");
        var appended = new List<int>();
        for (var i = 0; i < 10 || !compaction.IsCompleted; i++)
        {
            await client.IngestOkAsync("t", Rows(100_000 + i, 1), "?mode=append");
            appended.Add(100_000 + i);
            expected++;
        }
        Assert.Equal(HttpStatusCode.OK, (await compaction).StatusCode);
        await stop.CancelAsync();
        await querying;
        Assert.True(queries > 0);

        var manifest = await client.JsonAsync("/v1/catalog/datasets/t");
        Assert.Equal(expected, manifest.GetProperty("row_count").GetInt64());
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), (await client.SqlOkAsync("SELECT count(*) FROM t")).GetProperty("rows")[0][0].ToString());
        // Every append made during the compaction comes after the merged rows, in the order it landed.
        var tail = (await client.SqlOkAsync($"SELECT id FROM t OFFSET {expected - appended.Count}")).GetProperty("rows").EnumerateArray().Select(r => r[0].GetInt32());
        Assert.Equal(appended, tail);
    }

    [Fact]
    public async Task Background_compaction_keeps_an_appended_datasets_file_list_short()
    {
        await using var host = new LakehouseFactory(new Dictionary<string, string> { ["catalog:compact_min_files"] = "8" });
        var client = host.CreateClient();
        await client.IngestOkAsync("t", Rows(0, 5));
        for (var i = 1; i <= 40; i++) await client.IngestOkAsync("t", Rows(i * 5, 5), "?mode=append");
        await Polling.UntilAsync(async () =>
        {
            var manifest = await client.JsonAsync("/v1/catalog/datasets/t");
            return (manifest.GetProperty("files").GetArrayLength() < 8, true);
        }, () => "the file list under 8 files");
        Assert.Equal("205:20910", (await client.SqlOkAsync("SELECT count(*) || ':' || sum(id) FROM t")).GetProperty("rows")[0][0].GetString());
    }

    [Fact]
    public void The_plan_merges_runs_of_small_files_up_to_the_target_and_leaves_large_files_where_they_are()
    {
        var config = new LakehouseConfig { Catalog = { CompactTargetBytes = 1000 } };
        var compactor = new DatasetCompactor(null!, null!, config, NullLogger<DatasetCompactor>.Instance);
        static DataFile File(long size) => new("datasets/t/x.parquet", 1, size);
        // small small LARGE small small small (the third would pass the target) small LARGE small
        var files = new[] { File(100), File(100), File(900), File(400), File(400), File(400), File(100), File(800), File(10) };
        Assert.Equal([(0, 2), (3, 2), (5, 2)], compactor.Plan(files));
        Assert.Equal(3, compactor.Mergeable(files));
        Assert.Empty(compactor.Plan([File(100)]));
        Assert.Empty(compactor.Plan([File(600), File(600)]));
    }
}
