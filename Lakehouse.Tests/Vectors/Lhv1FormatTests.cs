using System.Buffers.Binary;
using Lakehouse.Tests.Infrastructure;
using Lakehouse.Vectors;
using Lakehouse.Vectors.Hnsw;
using Lakehouse.Vectors.Lhv1;

namespace Lakehouse.Tests.Vectors;

public sealed class Lhv1FormatTests
{
    static VectorIndex Sample(int count = 3000, Metric metric = Metric.L2)
    {
        var index = new VectorIndex(new IndexParams("sample", 24, metric, 8, 64, 40));
        var random = new Random(4);
        var items = Enumerable.Range(0, count).Select(i =>
        {
            var vector = Enumerable.Range(0, 24).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            if (metric == Metric.Cosine) Distances.Normalize(vector);
            return new VectorItem($"item-{i}", vector, i % 3 == 0 ? $"{{\"n\":{i}}}" : null);
        }).ToList();
        index.Upsert(items);
        for (var i = 0; i < count; i += 10) index.Delete($"item-{i}");
        return index;
    }

    [Fact]
    public void A_round_trip_gives_the_same_searches_ids_and_distances()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "x.lhv1");
        var original = Sample(metric: Metric.Cosine);
        Lhv1Format.Write(original, path);
        var loaded = Lhv1Format.Read(path);

        Assert.Equal(original.Params, loaded.Params);
        Assert.Equal(original.Count, loaded.Count);
        var random = new Random(8);
        for (var q = 0; q < 50; q++)
        {
            var query = Enumerable.Range(0, 24).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            Distances.Normalize(query);
            var before = original.Search(query, 10, 40);
            var after = loaded.Search(query, 10, 40);
            Assert.Equal(before.Select(h => (h.Id, h.Distance, h.Metadata)), after.Select(h => (h.Id, h.Distance, h.Metadata)));
        }
        Assert.Null(loaded.Get("item-0"));
        Assert.Equal("{\"n\":3}", loaded.Get("item-3")!.Value.Metadata);
    }

    [Fact]
    public void The_frame_is_magic_big_endian_length_and_a_json_envelope()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "x.lhv1");
        Lhv1Format.Write(Sample(100), path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal("LHV1"u8.ToArray(), bytes[..4]);
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4));
        using var envelope = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, length));
        Assert.Equal(1, envelope.RootElement.GetProperty("version").GetInt32());
        Assert.Equal(90, envelope.RootElement.GetProperty("count").GetInt32());
        Assert.Equal(24, envelope.RootElement.GetProperty("params").GetProperty("dim").GetInt32());
        Assert.Equal("l2", envelope.RootElement.GetProperty("params").GetProperty("metric").GetString());
    }

    [Fact]
    public void Broken_files_are_refused_with_a_reason()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "x.lhv1");
        Lhv1Format.Write(Sample(200), path);
        var good = File.ReadAllBytes(path);

        void Refused(byte[] bytes, string reason)
        {
            File.WriteAllBytes(path, bytes);
            var error = Assert.Throws<InvalidDataException>(() => Lhv1Format.Read(path));
            Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
        }

        Refused(good[..(good.Length - 100)], "truncated");
        Refused(good[..6], "magic");
        Refused([.. "LHV2"u8.ToArray(), .. good[4..]], "magic");
        var huge = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(huge.AsSpan(4), uint.MaxValue);
        Refused(huge, "envelope length");
        var flipped = (byte[])good.Clone();
        flipped[^50] ^= 0xFF;
        Refused(flipped, "CRC");
        var badJson = (byte[])good.Clone();
        badJson[8] = (byte)'#';
        Refused(badJson, "JSON");
    }
}
