using System.Net;
using System.Security.Cryptography;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Storage;

public sealed class FileSystemStorageTests : StorageContractTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected override Task<LakehouseFactory> CreateAsync(Dictionary<string, string>? settings = null) =>
        Task.FromResult(new LakehouseFactory(settings));

    [Fact]
    public async Task Objects_are_plain_files_under_the_root_and_etags_survive_a_restart()
    {
        using var root = new TempFolder();
        string etag;
        await using (var first = new LakehouseFactory(root: root.Path))
        {
            var put = await first.CreateClient().PutAsync("/v1/storage/objects/datasets/w/a.parquet", new ByteArrayContent([1, 2, 3]), Cancel);
            using var json = System.Text.Json.JsonDocument.Parse(await put.Content.ReadAsStringAsync(Cancel));
            etag = json.RootElement.GetProperty("etag").GetString()!;
        }
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(Path.Combine(root.Path, "datasets", "w", "a.parquet"), Cancel));
        await using var second = new LakehouseFactory(root: root.Path);
        var head = await second.CreateClient().SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/storage/objects/datasets/w/a.parquet"), Cancel);
        Assert.Equal($"\"{etag}\"", head.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task A_key_that_needs_an_existing_object_as_folder_is_409_and_changes_nothing()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        await client.PutAsync("/v1/storage/objects/a", new ByteArrayContent([1]), Cancel);
        await ProblemAssert.IsProblem(await client.PutAsync("/v1/storage/objects/a/b", new ByteArrayContent([2]), Cancel), HttpStatusCode.Conflict, "'a'");
        await client.PutAsync("/v1/storage/objects/c/d", new ByteArrayContent([1]), Cancel);
        await ProblemAssert.IsProblem(await client.PutAsync("/v1/storage/objects/c", new ByteArrayContent([2]), Cancel), HttpStatusCode.Conflict, "folder");
        Assert.Equal([1], await client.GetByteArrayAsync("/v1/storage/objects/a", Cancel));
        Assert.Equal([1], await client.GetByteArrayAsync("/v1/storage/objects/c/d", Cancel));
    }

    [Fact]
    public async Task Readers_see_the_old_or_the_new_object_never_a_mix()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var versions = Enumerable.Range(0, 4).Select(i => Enumerable.Repeat((byte)i, 2 * 1024 * 1024).ToArray()).ToArray();
        var hashes = versions.Select(v => Convert.ToHexString(SHA256.HashData(v))).ToHashSet();
        await client.PutAsync("/v1/storage/objects/hot", new ByteArrayContent(versions[0]), Cancel);

        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 12; i++) await client.PutAsync("/v1/storage/objects/hot", new ByteArrayContent(versions[i % 4]), Cancel);
        }, Cancel);
        while (!writer.IsCompleted)
        {
            var bytes = await client.GetByteArrayAsync("/v1/storage/objects/hot", Cancel);
            Assert.Contains(Convert.ToHexString(SHA256.HashData(bytes)), hashes);
        }
        await writer;
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(host.Root, "_tmp")));
    }

    [Fact]
    public async Task Start_removes_the_writes_a_crash_left_in_tmp_once_an_hour_old_and_keeps_newer_ones()
    {
        using var root = new TempFolder();
        var temp = Directory.CreateDirectory(Path.Combine(root.Path, "_tmp")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(temp, "abandoned"), [1], Cancel);
        File.SetLastWriteTimeUtc(Path.Combine(temp, "abandoned"), DateTime.UtcNow.AddHours(-2));
        await File.WriteAllBytesAsync(Path.Combine(temp, "in-flight"), [2], Cancel);
        await using var host = new LakehouseFactory(root: root.Path);
        await Polling.UntilOkAsync(host.CreateClient(), "/health");
        Assert.Equal(["in-flight"], Directory.GetFiles(temp).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_object_stored_unflushed_is_whole_and_visible_at_once_and_a_failed_one_leaves_nothing()
    {
        using var root = new TempFolder();
        var store = new Lakehouse.Storage.FileSystemObjectStore(root.Path);
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var info = await store.PutUnflushedAsync("datasets/d/metadata/m.avro", new MemoryStream(bytes), Cancel);
        Assert.Equal(bytes.Length, info.Size);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(root.Path, "datasets", "d", "metadata", "m.avro"), Cancel));
        Assert.Equal(info, await store.HeadAsync("datasets/d/metadata/m.avro", Cancel));

        await Assert.ThrowsAsync<IOException>(() => store.PutUnflushedAsync("datasets/d/metadata/torn.avro", new BrokenStream(bytes), Cancel));
        Assert.Null(await store.HeadAsync("datasets/d/metadata/torn.avro", Cancel));

        // The write that names it flushes it first (one syncfs on Linux): both stay readable, nothing is left in _tmp.
        await store.PutAsync("_catalog/d.json", new MemoryStream([1]), Cancel);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(root.Path, "datasets", "d", "metadata", "m.avro"), Cancel));
        Assert.Equal([1], await File.ReadAllBytesAsync(Path.Combine(root.Path, "_catalog", "d.json"), Cancel));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(root.Path, "_tmp")));
    }

    /// <summary>Yields the first half of its bytes, then fails as a dropped connection would.</summary>
    sealed class BrokenStream(byte[] bytes) : Stream
    {
        readonly MemoryStream _half = new(bytes[..(bytes.Length / 2)]);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await _half.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : throw new IOException("the connection dropped");
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
