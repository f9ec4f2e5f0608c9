using System.Net;
using System.Text;
using Lakehouse.Catalog;
using Lakehouse.Common;
using Lakehouse.Storage;
using Lakehouse.Tests.Infrastructure;
using Lakehouse.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lakehouse.Tests.Split;

/// <summary>
/// The module clients (HttpObjectStore, HttpCatalog) against a real storage+catalog process: they
/// behave as the in-process implementations do, answers and refusals alike.
/// </summary>
public sealed class RemoteClientTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static RemoteModule Remote(string module, Uri address, string key = SplitDeployment.ModuleKey, string timeout = "60s") =>
        new(module, new RemoteSection { StorageUrl = address.ToString(), CatalogUrl = address.ToString(), ApiKey = key, Timeout = timeout }, NullLoggerFactory.Instance);

    static async Task<(TempFolder Root, SplitDeployment Lakehouse, Uri Address)> StorageProcessAsync()
    {
        var root = new TempFolder();
        var lakehouse = await SplitDeployment.StartAsync(Shape.Two, new() { ["storage:root"] = Path.Combine(root.Path, "data") }, root.Path, onlyStorage: true);
        return (root, lakehouse, lakehouse.For("storage").BaseAddress!);
    }

    /// <summary>A stream that can be read once, front to back, as a request body is.</summary>
    sealed class ForwardOnly(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task The_remote_store_reads_writes_lists_and_refuses_as_the_store_itself_does()
    {
        var (root, lakehouse, address) = await StorageProcessAsync();
        using var _ = root;
        await using var __ = lakehouse;
        using var remote = Remote(ModuleNames.Storage, address);
        IObjectStore store = new HttpObjectStore(remote);
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 5000).Select(i => $"{i},")));

        var put = await store.PutAsync("a/one.bin", new ForwardOnly(bytes), Cancel);
        Assert.Equal(bytes.Length, put.Size);
        var file = Path.Combine(root.Path, "upload.bin");
        await File.WriteAllBytesAsync(file, bytes[..100], Cancel);
        Assert.Equal(100, (await store.PutFileAsync("a/two.bin", file, Cancel)).Size);
        Assert.False(File.Exists(file)); // taken over, as every backend does

        var head = await store.HeadAsync("a/one.bin", Cancel);
        Assert.Equal(put.ETag, head!.ETag);
        Assert.Equal(put.Size, head.Size);
        Assert.Null(await store.HeadAsync("a/none.bin", Cancel));
        Assert.Null(await store.GetAsync("a/none.bin", null, Cancel));

        await using (var whole = await store.GetAsync("a/one.bin", null, Cancel))
        {
            Assert.Equal(bytes, await ReadAllAsync(whole!.Stream));
            Assert.Equal(new ByteRange(0, bytes.Length), whole.Range);
        }
        await using (var middle = await store.GetAsync("a/one.bin", new RangeRequest(10, 19), Cancel))
        {
            Assert.Equal(bytes[10..20], await ReadAllAsync(middle!.Stream));
            Assert.Equal(new ByteRange(10, 10), middle.Range);
            Assert.Equal(bytes.Length, middle.Info.Size);
        }
        var outside = await Assert.ThrowsAsync<ProblemException>(() => store.GetAsync("a/one.bin", new RangeRequest(bytes.Length + 5, null), Cancel));
        Assert.Equal(416, outside.Status);

        var first = await store.ListAsync("a/", 1, null, Cancel);
        Assert.Equal("a/one.bin", Assert.Single(first.Objects).Key);
        var second = await store.ListAsync("a/", 1, first.NextCursor, Cancel);
        Assert.Equal("a/two.bin", Assert.Single(second.Objects).Key);
        Assert.Null((await store.ListAsync("a/", 10, second.Objects[0].Key, Cancel)).NextCursor);

        await store.DeleteAsync("a/two.bin", Cancel);
        await store.DeleteAsync("a/two.bin", Cancel); // deleting what is gone succeeds
        Assert.Null(await store.HeadAsync("a/two.bin", Cancel));
        Assert.Equal(400, (await Assert.ThrowsAsync<ProblemException>(() => store.HeadAsync("a/../b", Cancel))).Status);

        // Module-owned objects: a module key writes them; an ordinary key is refused as in-process callers are.
        await store.PutAsync("_vectors/own.lhv1", new MemoryStream(bytes), Cancel);
        using var ordinary = Remote(ModuleNames.Storage, address, key: SplitDeployment.UserKey);
        var refused = await Assert.ThrowsAsync<ProblemException>(() => new HttpObjectStore(ordinary).PutAsync("_vectors/forged.lhv1", new MemoryStream(bytes), Cancel));
        Assert.Equal(403, refused.Status);
        Assert.Contains("module", refused.Message, StringComparison.Ordinal);
        Assert.Null(await store.HeadAsync("_vectors/forged.lhv1", Cancel));
    }

    [Fact]
    public async Task An_unreachable_remote_is_a_503_naming_the_module_and_its_address()
    {
        var closed = new Uri("http://127.0.0.1:9/");
        using var remote = Remote(ModuleNames.Storage, closed);
        var failure = await Assert.ThrowsAsync<ProblemException>(() => new HttpObjectStore(remote).HeadAsync("a", Cancel));
        Assert.Equal(503, failure.Status);
        Assert.Contains("storage module at http://127.0.0.1:9/", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_commit_that_loses_the_race_is_built_again_on_the_winners_version()
    {
        var (root, lakehouse, address) = await StorageProcessAsync();
        using var _ = root;
        await using var __ = lakehouse;
        using var remote = Remote(ModuleNames.Catalog, address);
        var config = new LakehouseConfig { Remote = { CatalogUrl = address.ToString() } };
        var catalog = new HttpCatalog(remote, config, NullLogger<HttpCatalog>.Instance);
        var rival = new HttpCatalog(remote, config, NullLogger<HttpCatalog>.Instance);
        // Each follows the feed, as its process would: a commit returns once its own feed has brought it.
        using var stop = new CancellationTokenSource();
        var following = new[] { catalog.FollowAsync(stop.Token), rival.FollowAsync(stop.Token) };
        await catalog.MirroredAsync(Cancel);
        await rival.MirroredAsync(Cancel);
        var schema = new[] { new ColumnSchema("id", "BIGINT", true) };
        await catalog.UpdateAsync("d", null, _ => new DatasetContent(schema, [new DataFile("datasets/d/1.parquet", 1, 1)]), Cancel);

        var seen = new List<long?>();
        var result = await catalog.UpdateAsync("d", null, current =>
        {
            seen.Add(current?.Version);
            // The first time, another process commits in between: this change has then lost the race.
            if (seen.Count == 1) rival.UpdateAsync("d", null, c => new DatasetContent(schema, [.. c!.Files, new DataFile("datasets/d/rival.parquet", 1, 1)]), Cancel).GetAwaiter().GetResult();
            return new DatasetContent(schema, [.. current!.Files, new DataFile("datasets/d/mine.parquet", 1, 1)]);
        }, Cancel);

        Assert.Equal([1, 2], seen);
        Assert.Equal(3, result.Version);
        Assert.Equal(["datasets/d/1.parquet", "datasets/d/rival.parquet", "datasets/d/mine.parquet"], result.Files.Select(f => f.Key));
        // A caller that named the version it expects is told it lost, as in-process.
        var conflict = await Assert.ThrowsAsync<ProblemException>(() => catalog.UpdateAsync("d", 2, c => new DatasetContent(schema, c!.Files), Cancel));
        Assert.Equal(409, conflict.Status);
        Assert.True(conflict.IsVersionConflict());
        // The mirrors followed every change.
        Assert.Equal(3, catalog.Get("d")!.Version);
        await Polling.UntilAsync(() => rival.Get("d")!.Version == 3, () => "the rival's mirror at version 3");
        await stop.CancelAsync();
        await Task.WhenAll(following).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Cancel);
        return copy.ToArray();
    }
}
