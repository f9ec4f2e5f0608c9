using Lakehouse.Tests.Infrastructure;
using Lakehouse.Vectors;
using Lakehouse.Vectors.Hnsw;
using Lakehouse.Vectors.Lhv1;
using Lakehouse.Vectors.Log;

namespace Lakehouse.Tests.Vectors;

/// <summary>LHVD deltas replayed over a snapshot give the live index bit for bit; a delta that does not fit changes nothing.</summary>
public sealed class DeltaReplayTests
{
    static readonly IndexParams Params = new("replayed", 12, Metric.Cosine, 6, 40, 20);

    static List<VectorItem> Batch(Random random, int from, int count, string tag) =>
    [
        .. Enumerable.Range(from, count).Select(i =>
        {
            var vector = Enumerable.Range(0, Params.Dim).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            Distances.Normalize(vector);
            return new VectorItem($"id-{i}", vector, i % 2 == 0 ? $"{{\"tag\":\"{tag}\",\"i\":{i}}}" : null);
        }),
    ];

    /// <summary>Small batches (linked in order), a large one (linked on all cores), updates, deletes, and freed slots taken again.</summary>
    static (VectorIndex Live, List<byte[]> Deltas, byte[] Snapshot) LiveWithDeltas(TempFolder folder, int snapshotAfter)
    {
        var live = new VectorIndex(Params);
        var random = new Random(3);
        var deltas = new List<byte[]>();
        byte[]? snapshot = null;
        void Log(VectorDelta? delta)
        {
            Assert.NotNull(delta);
            Assert.Equal(live.ChangeSequence, delta.Sequence);
            deltas.Add(DeltaFormat.Write(delta, Params));
            if (deltas.Count == snapshotAfter) snapshot = Snapshot(live, folder);
        }
        if (snapshotAfter == 0) snapshot = Snapshot(live, folder);
        Log(live.UpsertLogged(Batch(random, 0, 1, "first")).Delta);
        Log(live.UpsertLogged(Batch(random, 1, 100, "small")).Delta);
        Log(live.UpsertLogged(Batch(random, 101, 700, "parallel")).Delta);
        for (var i = 0; i < 60; i += 3) Log(live.DeleteLogged($"id-{i}"));
        Log(live.UpsertLogged(Batch(random, 30, 80, "updated and reused")).Delta);
        Log(live.UpsertLogged(Batch(random, 801, 300, "after")).Delta);
        return (live, deltas, snapshot!);
    }

    static byte[] Snapshot(VectorIndex index, TempFolder folder)
    {
        var path = Path.Combine(folder.Path, Guid.NewGuid().ToString("N"));
        Lhv1Format.Write(index, path);
        return File.ReadAllBytes(path);
    }

    static VectorIndex Read(byte[] snapshot, TempFolder folder)
    {
        var path = Path.Combine(folder.Path, Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, snapshot);
        return Lhv1Format.Read(path);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(24)]
    public void A_snapshot_plus_the_deltas_after_it_is_the_live_index_bit_for_bit(int snapshotAfter)
    {
        using var folder = new TempFolder();
        var (live, deltas, snapshot) = LiveWithDeltas(folder, snapshotAfter);
        var replayed = Read(snapshot, folder);
        foreach (var bytes in deltas.Skip(snapshotAfter)) replayed.Apply(DeltaFormat.Read(bytes, Params, live.Incarnation));
        replayed.RebuildFreeSlots();

        Assert.Equal(live.ChangeSequence, replayed.ChangeSequence);
        Assert.Equal(live.Count, replayed.Count);
        Assert.Equal(Snapshot(live, folder), Snapshot(replayed, folder));
        // And it goes on as the live one does: the same next batch, the same graph.
        var next = Batch(new Random(5), 2000, 50, "next");
        live.Upsert(next);
        replayed.Upsert(next);
        Assert.Equal(Snapshot(live, folder), Snapshot(replayed, folder));
    }

    [Fact]
    public void A_delta_that_is_torn_altered_or_foreign_is_refused_and_changes_nothing()
    {
        using var folder = new TempFolder();
        var (live, deltas, snapshot) = LiveWithDeltas(folder, 0);
        var bytes = deltas[1];
        Assert.Contains("CRC", Assert.Throws<InvalidDataException>(() => DeltaFormat.Read(bytes[..^10], Params, live.Incarnation)).Message, StringComparison.Ordinal);
        var flipped = (byte[])bytes.Clone();
        flipped[flipped.Length / 2] ^= 0x40;
        Assert.Contains("CRC", Assert.Throws<InvalidDataException>(() => DeltaFormat.Read(flipped, Params, live.Incarnation)).Message, StringComparison.Ordinal);
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => DeltaFormat.Read("LHV1"u8.ToArray().Concat(bytes[4..]).ToArray(), Params, live.Incarnation)).Message, StringComparison.Ordinal);
        Assert.Contains("incarnation", Assert.Throws<InvalidDataException>(() => DeltaFormat.Read(bytes, Params, "another")).Message, StringComparison.Ordinal);
        Assert.Contains("parameters", Assert.Throws<InvalidDataException>(() => DeltaFormat.Read(bytes, Params with { M = 8 }, live.Incarnation)).Message, StringComparison.Ordinal);

        var replayed = Read(snapshot, folder);
        var before = Snapshot(replayed, folder);
        Assert.Contains("change 2", Assert.Throws<InvalidDataException>(() => replayed.Apply(DeltaFormat.Read(bytes, Params, live.Incarnation))).Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(replayed, folder));
        replayed.Apply(DeltaFormat.Read(deltas[0], Params, live.Incarnation));
        Assert.Throws<InvalidDataException>(() => replayed.Apply(DeltaFormat.Read(deltas[0], Params, live.Incarnation))); // never twice
    }

    [Fact]
    public void A_delta_costs_its_batch_not_the_index()
    {
        var index = new VectorIndex(Params);
        var random = new Random(9);
        index.Upsert(Batch(random, 0, 20_000, "bulk"));
        var delta = DeltaFormat.Write(index.UpsertLogged(Batch(random, 20_000, 100, "one")).Delta, Params);
        var raw = 100 * Params.Dim * sizeof(float);
        // Vectors, ids and metadata, the new nodes' lists, and the tails of the lists they joined.
        Assert.InRange(delta.Length, raw, 8 * raw);
    }
}
