using System.Text.Json;
using Lakehouse.Common;
using Lakehouse.Vectors.Hnsw;

namespace Lakehouse.Vectors;

/// <summary>One item of a batch, validated: id, the vector as it will be stored, metadata as JSON text.</summary>
internal sealed record VectorItem(string Id, float[] Vector, string? Metadata);

/// <summary>A search hit.</summary>
internal sealed record VectorHit(string Id, float Distance, string? Metadata);

/// <summary>
/// An HNSW graph plus what the API needs around it: ids ↔ slots, metadata, deleted slots to reuse.
/// Writers are serialised per index (a batch links its nodes on all cores); searches never wait for
/// them. Levels come from a generator seeded per index, so the same inserts get the same levels.
/// </summary>
internal sealed class VectorIndex
{
    const int Seed = 0x1A4E;
    const int ParallelBatch = 256;

    readonly SemaphoreSlim _writer = new(1, 1);
    // A plain dictionary under a lock: half the memory per item of a ConcurrentDictionary (bench: bytes_per_vector).
    readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    readonly Lock _slotsLock = new();
    readonly Stack<int> _free = new();
    readonly Random _levels = new(Seed);
    volatile string?[] _ids = new string?[1024];
    volatile string?[] _metadata = new string?[1024];

    public VectorIndex(IndexParams parameters)
    {
        Params = parameters;
        Graph = new HnswGraph(parameters.Dim, parameters.Metric, parameters.M, parameters.EfConstruction);
    }

    public IndexParams Params { get; }

    internal HnswGraph Graph { get; }

    /// <summary>Live items.</summary>
    public int Count { get; private set; }

    /// <summary>Bumped by every change; the persister saves up to a sequence number.</summary>
    public long ChangeSequence { get; private set; }

    internal string?[] Ids => _ids;

    internal string?[] Metadata => _metadata;

    /// <summary>Runs <paramref name="work"/> as the only writer of this index.</summary>
    public async Task<T> WriteAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            return work();
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>Adds or replaces every item (validated already). Returns (added, updated). Call inside <see cref="WriteAsync{T}"/>.</summary>
    public (int Added, int Updated) Upsert(IReadOnlyList<VectorItem> items)
    {
        int fresh;
        lock (_slotsLock) fresh = items.Count(i => !_slots.ContainsKey(i.Id));
        var needed = Graph.Count + Math.Max(0, fresh - _free.Count);
        Graph.EnsureCapacity(needed);
        Grow(Graph.Current.Capacity);

        var toLink = new List<int>(items.Count);
        var updated = 0;
        foreach (var item in items)
        {
            int slot;
            bool known;
            lock (_slotsLock) known = _slots.TryGetValue(item.Id, out slot);
            if (known)
            {
                Graph.Replace(slot, item.Vector);
                updated++;
            }
            else
            {
                if (_free.TryPop(out slot)) Graph.Replace(slot, item.Vector);
                else slot = Graph.Allocate(item.Vector, Graph.RandomLevel(_levels));
                Count++;
            }
            _ids[slot] = item.Id;
            _metadata[slot] = item.Metadata;
            lock (_slotsLock) _slots[item.Id] = slot;
            toLink.Add(slot);
        }
        // Small batches link in order (deterministic); large ones on every core, as hnswlib's parallel add does.
        if (toLink.Count < ParallelBatch) toLink.ForEach(Graph.Link);
        else Parallel.ForEach(toLink, Graph.Link);
        ChangeSequence++;
        return (items.Count - updated, updated);
    }

    /// <summary>Marks the item deleted and frees its slot for reuse; false when the id is unknown. Call inside <see cref="WriteAsync{T}"/>.</summary>
    public bool Delete(string id)
    {
        int slot;
        lock (_slotsLock)
        {
            if (!_slots.Remove(id, out slot)) return false;
        }
        Graph.MarkDeleted(slot);
        _ids[slot] = null;
        _metadata[slot] = null;
        _free.Push(slot);
        Count--;
        ChangeSequence++;
        return true;
    }

    public (float[] Vector, string? Metadata)? Get(string id)
    {
        // Readers do not take the writer lock; a lookup racing a delete sees one state or the other.
        lock (_slotsLock)
        {
            if (!_slots.TryGetValue(id, out var slot)) return null;
            return (Graph.Vector(slot).ToArray(), _metadata[slot]);
        }
    }

    public List<VectorHit> Search(float[] query, int k, int ef, VectorFilter? filter = null)
    {
        var ids = _ids;
        var metadata = _metadata;
        var hits = new List<VectorHit>(k);
        foreach (var (node, distance) in filter is null ? Graph.Search(query, k, ef) : FilteredSearch(query, k, ef, filter, ids, metadata))
        {
            if (node < ids.Length && ids[node] is { } id) hits.Add(new VectorHit(id, distance, metadata[node]));
        }
        return hits;
    }

    /// <summary>A filter that passes fewer items than this (estimated) is answered by an exact scan of the items it passes.</summary>
    const int ExactScanBelow = 2048;

    const int SelectivitySample = 256;

    /// <summary>
    /// The k nearest items the filter passes. The plan follows the filter's estimated selectivity (from
    /// a sample of the items): when it passes few items, the graph would be walked nearly whole to find
    /// k of them, so an exact scan over the passing items is cheaper and exact; otherwise the graph search
    /// applies the filter as it goes, with a wider beam when the filter rejects most of what it meets.
    /// </summary>
    List<(int Node, float Distance)> FilteredSearch(float[] query, int k, int ef, VectorFilter filter, string?[] ids, string?[] metadata)
    {
        var memo = new Dictionary<int, bool>();
        bool Passes(int slot)
        {
            if (slot >= ids.Length || ids[slot] is null) return false;
            if (!memo.TryGetValue(slot, out var passes)) memo[slot] = passes = filter.Holds(metadata[slot]);
            return passes;
        }
        var slots = Math.Min(Graph.Count, ids.Length);
        var step = Math.Max(1, slots / SelectivitySample);
        var (sampled, passed) = (0, 0);
        for (var slot = 0; slot < slots; slot += step)
        {
            if (ids[slot] is null) continue;
            sampled++;
            if (Passes(slot)) passed++;
        }
        var selectivity = sampled == 0 ? 0 : (double)passed / sampled;
        if (selectivity * Count < ExactScanBelow || selectivity < 0.02)
        {
            var nearest = new PriorityQueue<int, float>(Comparer<float>.Create((a, b) => b.CompareTo(a)));
            for (var slot = 0; slot < slots; slot++)
            {
                if (!Passes(slot)) continue;
                var distance = Graph.DistanceTo(query, slot);
                if (nearest.Count < k) nearest.Enqueue(slot, distance);
                else if (nearest.TryPeek(out _, out var farthest) && distance < farthest) nearest.EnqueueDequeue(slot, distance);
            }
            var exact = new List<(int Node, float Distance)>(nearest.Count);
            while (nearest.TryDequeue(out var node, out var distance)) exact.Add((node, distance));
            exact.Reverse();
            return exact;
        }
        var beam = Math.Max(ef, k) * (selectivity < 0.5 ? 2 : 1);
        return Graph.Search(query, k, beam, Passes);
    }

    void Grow(int capacity)
    {
        if (_ids.Length >= capacity) return;
        var ids = new string?[capacity];
        var metadata = new string?[capacity];
        Array.Copy(_ids, ids, _ids.Length);
        Array.Copy(_metadata, metadata, _metadata.Length);
        _ids = ids;
        _metadata = metadata;
    }

    /// <summary>Rebuilds the id map after LHV1 restored the graph and the per-slot arrays.</summary>
    internal void Restore(string?[] ids, string?[] metadata)
    {
        Grow(Math.Max(ids.Length, Graph.Current.Capacity));
        Array.Copy(ids, _ids, ids.Length);
        Array.Copy(metadata, _metadata, metadata.Length);
        for (var slot = 0; slot < Graph.Count; slot++)
        {
            if (_ids[slot] is { } id) _slots[id] = slot;
            else _free.Push(slot);
        }
        Count = _slots.Count;
    }

    /// <summary>Parses an item's metadata: a JSON object, or absent.</summary>
    public static string? MetadataText(JsonElement? metadata, int index) => metadata switch
    {
        null => null,
        { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.Object } element => element.GetRawText(),
        _ => throw ProblemException.BadRequest($"items[{index}].metadata must be a JSON object."),
    };
}
