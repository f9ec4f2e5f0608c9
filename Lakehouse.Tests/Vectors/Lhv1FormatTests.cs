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

    /// <summary>The file with its envelope changed by <paramref name="change"/>, padded back to the same length.</summary>
    internal static byte[] WithEnvelope(byte[] good, Action<System.Text.Json.Nodes.JsonObject> change)
    {
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(good.AsSpan(4));
        var envelope = System.Text.Json.Nodes.JsonNode.Parse(good.AsSpan(8, length))!.AsObject();
        change(envelope);
        var text = System.Text.Encoding.UTF8.GetBytes(envelope.ToJsonString());
        var bytes = (byte[])good.Clone();
        bytes.AsSpan(8, length).Fill((byte)' ');
        text.CopyTo(bytes, 8);
        return bytes;
    }

    [Theory]
    [InlineData("slots", "2147483647", "slots cannot fit")]
    [InlineData("slots", "-1", "slots cannot fit")]
    [InlineData("count", "2147483647", "count")]
    [InlineData("count", "-5", "count")]
    [InlineData("entry_level", "99", "entry level")]
    [InlineData("entry_node", "2147483647", "entry point")]
    [InlineData("params", "null", "no params")]
    [InlineData("params", "{\"name\":\"Bad Name\",\"dim\":24,\"metric\":\"l2\",\"m\":8,\"ef_construction\":64,\"ef_search\":40}", "params are invalid")]
    [InlineData("params", "{\"name\":\"sample\",\"dim\":1000000000,\"metric\":\"l2\",\"m\":8,\"ef_construction\":64,\"ef_search\":40}", "params are invalid")]
    [InlineData("graph_bytes", "9999999999", "truncated")]
    public void Every_envelope_field_is_checked_against_the_bytes_present_before_anything_is_allocated(string field, string value, string reason)
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "x.lhv1");
        Lhv1Format.Write(Sample(200), path);
        File.WriteAllBytes(path, WithEnvelope(File.ReadAllBytes(path), envelope => envelope[field] = System.Text.Json.Nodes.JsonNode.Parse(value)));
        var error = Assert.Throws<InvalidDataException>(() => Lhv1Format.Read(path));
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Any_damage_to_a_file_is_refused_as_invalid_data_and_nothing_else()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "x.lhv1");
        Lhv1Format.Write(Sample(50), path);
        var good = File.ReadAllBytes(path);
        var envelopeEnd = 8 + good.AsSpan(8, 4096).LastIndexOfAnyExcept((byte)' ') + 1;
        var random = new Random(16);
        var refused = 0;
        for (var round = 0; round < 2000; round++)
        {
            var bytes = (byte[])good.Clone();
            // Mostly the envelope, which no CRC covers; sometimes the graph, sometimes a cut.
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                var at = random.Next(3) switch { 0 => random.Next(bytes.Length), _ => random.Next(8, envelopeEnd) };
                bytes[at] = random.Next(4) == 0 ? (byte)"0123456789-"[random.Next(11)] : (byte)random.Next(256);
            }
            if (random.Next(10) == 0) bytes = bytes[..random.Next(bytes.Length)];
            File.WriteAllBytes(path, bytes);
            try
            {
                Lhv1Format.Read(path);
            }
            catch (InvalidDataException)
            {
                refused++;
            }
        }
        Assert.True(refused > 1000, $"only {refused} of 2000 damaged files were refused");
    }
}
