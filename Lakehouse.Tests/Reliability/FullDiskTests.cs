using System.Net;
using System.Net.Http.Json;
using Lakehouse.Tests.Infrastructure;
using Lakehouse.Tools;

namespace Lakehouse.Tests.Reliability;

/// <summary>A data root that fills up: every write is a 507 that says so, nothing half-written is visible, and the host keeps serving.</summary>
public sealed class FullDiskTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_full_disk_is_a_507_and_leaves_catalog_storage_and_indexes_as_they_were()
    {
        await using var root = await SmallTmpfs.MountAsync(2);
        { // the host goes before the file system is unmounted
            await using var host = new LakehouseFactory(root: root.Path);
            var client = await host.CreateReadyClientAsync();
            await client.IngestOkAsync("kept", "a,b\n1,x\n");
            (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "v", dim = 64, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
            var random = new Random(5);
            object Items(int count, string prefix) => new { items = Enumerable.Range(0, count).Select(i => new { id = $"{prefix}{i}", vector = Enumerable.Range(0, 64).Select(_ => random.NextSingle()).ToArray() }) };
            (await client.PostAsJsonAsync("/v1/vectors/indexes/v/items", Items(10, "small-"), Cancel)).EnsureSuccessStatusCode();
            var storage = await client.StorageSnapshotAsync();
            var catalog = await client.CatalogSnapshotAsync();

            // Random text does not compress: its Parquet file cannot fit in what is left.
            var csv = SmallTmpfs.IncompressibleCsv(30_000, 5);
            await ProblemAssert.IsProblem(await client.IngestAsync("kept", csv), HttpStatusCode.InsufficientStorage, "full");
            await ProblemAssert.IsProblem(await client.IngestAsync("fresh", csv), HttpStatusCode.InsufficientStorage, "full");
            await ProblemAssert.IsProblem(await client.PutAsync("/v1/storage/objects/big.bin", new ByteArrayContent(random.GetItems<byte>([1, 2, 3, 4, 5, 6, 7, 8, 9], 3 << 20)), Cancel),
                HttpStatusCode.InsufficientStorage, "full");
            await ProblemAssert.IsProblem(await client.PostAsJsonAsync("/v1/vectors/indexes/v/items", Items(10_000, "big-"), Cancel), HttpStatusCode.InsufficientStorage, "full");

            // The refused batch is not searchable once the index has been read back from storage.
            var info = await Polling.UntilOkAsync(client, "/v1/vectors/indexes/v");
            Assert.Equal(10, info.GetProperty("count").GetInt32());
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/vectors/indexes/v/items/big-0", Cancel)).StatusCode);
            Assert.Equal(storage, await client.StorageSnapshotAsync());
            Assert.Equal(catalog, await client.CatalogSnapshotAsync());
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(root.Path, "_tmp")));
            Assert.Equal(1, (await client.SqlOkAsync("SELECT count(*) FROM kept")).GetProperty("rows")[0][0].GetInt64());
            (await client.PostAsJsonAsync("/v1/vectors/indexes/v/items", Items(10, "more-"), Cancel)).EnsureSuccessStatusCode();
            Assert.Equal(20, (await client.JsonAsync("/v1/vectors/indexes/v")).GetProperty("count").GetInt32());
        }
    }
}

/// <summary>
/// The scratch space filling up (the temp dir, where an ingest spools its CSV and DuckDB writes its Parquet
/// before it is stored): a 507 that names the file, nothing changed, and once space is back the same ingest works.
/// </summary>
public sealed class FullScratchTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_full_scratch_disk_is_a_507_that_changes_nothing()
    {
        await using var scratch = await SmallTmpfs.MountAsync(2);
        using var folder = new TempFolder();
        { // the host goes before the file system is unmounted
            // TMPDIR is the process's temp dir, so the host runs as its own process.
            await using var host = await HostChildProcess.StartAsync(new Dictionary<string, string> { ["TMPDIR"] = scratch.Path }, folder.Path);
            var client = host.Client;
            await client.IngestOkAsync("kept", "a,b\n1,x\n");
            var storage = await client.StorageSnapshotAsync();
            var catalog = await client.CatalogSnapshotAsync();

            // About 6 MB of random text: spooled to scratch (it is over one 4 MiB chunk), which holds 2 MB.
            var csv = SmallTmpfs.IncompressibleCsv(60_000, 3);
            await ProblemAssert.IsProblem(await client.IngestAsync("kept", csv), HttpStatusCode.InsufficientStorage, "full");
            await ProblemAssert.IsProblem(await client.IngestAsync("fresh", csv), HttpStatusCode.InsufficientStorage, "full");
            // About 1.2 MB: the CSV fits, DuckDB's Parquet beside it does not.
            await ProblemAssert.IsProblem(await client.IngestAsync("fresh", SmallTmpfs.IncompressibleCsv(12_000, 4)), HttpStatusCode.InsufficientStorage, "data.parquet\": No space left on device.");
            Assert.Equal(storage, await client.StorageSnapshotAsync());
            Assert.Equal(catalog, await client.CatalogSnapshotAsync());

            await scratch.ResizeAsync(64);
            Assert.Equal(60_000, (await client.IngestOkAsync("fresh", csv)).GetProperty("rows").GetInt64());
        }
    }
}

/// <summary>The S3 backend's query cache filling up: an acknowledged change is never read as its old data.</summary>
public sealed class FullQueryCacheTests(S3TestServer s3)
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_view_that_could_not_follow_a_change_is_brought_up_to_date_before_a_query_or_the_query_is_a_503()
    {
        await using var cache = await SmallTmpfs.MountAsync(1);
        { // the host goes before the file system is unmounted
            var settings = await s3.SettingsForNewBucketAsync();
            settings["query:cache_dir"] = cache.Path;
            await using var host = new LakehouseFactory(settings);
            var client = await host.CreateReadyClientAsync();
            await client.IngestOkAsync("data", "a,b\n1,x\n");
            Assert.Equal(1, (await client.SqlOkAsync("SELECT count(*) FROM data")).GetProperty("rows")[0][0].GetInt64());

            // A replace whose Parquet file (random text: about 2 MB) cannot be copied into the 1 MB cache:
            // the data is stored and the catalog switched, but the query view could not follow.
            Assert.Equal(HttpStatusCode.Created, (await client.IngestAsync("data", SmallTmpfs.IncompressibleCsv(20_000, 7), "?mode=replace")).StatusCode);
            await ProblemAssert.IsProblem(await client.SqlAsync("SELECT count(*) FROM data"), HttpStatusCode.ServiceUnavailable, "old data");

            await cache.ResizeAsync(64);
            Assert.Equal(20_000, (await client.SqlOkAsync("SELECT count(*) FROM data")).GetProperty("rows")[0][0].GetInt64());
        }
    }
}
