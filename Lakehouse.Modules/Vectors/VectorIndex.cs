using System.Text.Json;
using Lakehouse.Common;
using Lakehouse.Vectors.Hnsw;
using Lakehouse.Vectors.Log;

namespace Lakehouse.Vectors;

/// <summary>One item of a batch, validated: id, the vector as it will be stored, metadata as JSON text.</summary>
internal sealed record VectorItem(string Id, float[] Vector, string? Metadata);

/// <summary>A search hit.</summary>
internal sealed record VectorHit(string Id, float Distance, string? Metadata);

/// <summary>
/// An HNSW graph plus what the API needs around it: ids ↔ slots, metadata, deleted slots to reuse.
/// Writers are serialised per index (a batch links its nodes on all cores); searches never wait for
/// them. Levels come from a hash of the slot number, so the same inserts get the same levels.
/// </summary>
internal sealed class VectorIndex
{
    const int ParallelBatch = 256;

    readonly SemaphoreSlim _writer = new(1, 1);
    // A plain dictionary under a lock: half the memory per item of a ConcurrentDictionary (bench: bytes_per_vector).
    readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    readonly Lock _slotsLock = new();
    // Lowest first, and levels by slot (HnswGraph.LevelFor): the same changes give the same graph
    // whatever the index's history, live, read back from LHV1, or replayed from deltas.
    readonly SortedSet<int> _free = [];
    volatile string?[] _ids = new string?[1024];
    volatile string?[] _metadata = new string?[1024];

    /// <param name="incarnation">Null for a new index, which gets a fresh one.</param>
    public VectorIndex(IndexParams parameters, string? incarnation = null)
    {
        Params = parameters;
        Incarnation = incarnation ?? Guid.NewGuid().ToString("N");
        Graph = new HnswGraph(parameters.Dim, parameters.Metric, parameters.M, parameters.EfConstruction);
        MetadataIndex = new MetadataIndex(() => _metadata);
        PassingSets = new PassingSets(MetadataIndex, SlotOf);
    }

    public IndexParams Params { get; }

    /// <summary>Tells this index from an earlier one of the same name, whose leftover deltas must never apply to it.</summary>
    public string Incarnation { get; }

    internal HnswGraph Graph { get; }

    /// <summary>Live items.</summary>
    public int Count { get; private set; }

    /// <summary>Bumped by every change; the persister saves up to a sequence number.</summary>
    public long ChangeSequence { get; internal set; }

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

    /// <summary>As <see cref="Upsert"/>, and returns the delta that replays the batch exactly. Call inside <see cref="WriteAsync{T}"/>.</summary>
    public (int Added, int Updated, VectorDelta Delta) UpsertLogged(IReadOnlyList<VectorItem> items)
    {
        var journal = new ListJournal();
        Graph.Journal = journal;
        List<int> slots;
        int added, updated;
        try
        {
            (added, updated, slots) = Apply(items);
        }
        finally
        {
            Graph.Journal = null;
        }
        var store = Graph.Current;
        var writes = slots.Select(slot => new SlotWrite(slot, store.Levels[slot], _ids[slot]!, Graph.Vector(slot).ToArray(), _metadata[slot])).ToList();
        var links = new int[Graph.MaxM0];
        var lists = new List<ListChange>();
        foreach (var (node, level, kept) in journal.Changes())
        {
            var count = Graph.ReadLinks(store, node, level, links);
            lists.Add(new ListChange(node, level, kept, links[kept..count]));
        }
        return (added, updated, DeltaOf(writes, [], lists));
    }

    /// <summary>As <see cref="Delete"/>, and returns the delta that replays it, or null when the id is unknown. Call inside <see cref="WriteAsync{T}"/>.</summary>
    public VectorDelta? DeleteLogged(string id)
    {
        int slot;
        lock (_slotsLock)
        {
            if (!_slots.TryGetValue(id, out slot)) return null;
        }
        Delete(id);
        return DeltaOf([], [new SlotFree(slot, id)], []);
    }

    VectorDelta DeltaOf(List<SlotWrite> writes, List<SlotFree> frees, List<ListChange> lists)
    {
        var entry = Graph.Entry;
        return new VectorDelta(ChangeSequence, Incarnation, Graph.Count, entry?.Node ?? -1, entry?.Level ?? 0, writes, frees, lists);
    }

    /// <summary>Adds or replaces every item (validated already). Returns (added, updated). Call inside <see cref="WriteAsync{T}"/>.</summary>
    public (int Added, int Updated) Upsert(IReadOnlyList<VectorItem> items)
    {
        var (added, updated, _) = Apply(items);
        return (added, updated);
    }

    (int Added, int Updated, List<int> Slots) Apply(IReadOnlyList<VectorItem> items)
    {
        using var writing = Writing();
        int fresh;
        lock (_slotsLock) fresh = items.Count(i => !_slots.ContainsKey(i.Id));
        var linkedBefore = Graph.Count;
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
                if (_free.Count > 0)
                {
                    slot = _free.Min;
                    _free.Remove(slot);
                    Graph.Replace(slot, item.Vector);
                }
                else
                {
                    slot = Graph.Allocate(item.Vector, Graph.LevelFor(Graph.Count));
                }
                Count++;
            }
            var before = _metadata[slot];
            _ids[slot] = item.Id;
            Volatile.Write(ref _metadata[slot], item.Metadata); // after the id: see ItemIn
            MetadataIndex.Replace(slot, before, item.Metadata);
            lock (_slotsLock) _slots[item.Id] = slot;
            toLink.Add(slot);
        }
        // Small batches link in order (deterministic); large ones on every core, as hnswlib's parallel add
        // does, but only into a graph of ParallelBatch nodes or more. Nodes linked at once cannot see each
        // other, so into a near-empty graph they all hang off its few nodes, whose lists then fill and are
        // pruned: early nodes were left with no link to them, never found again (the first 300 of 3,000
        // inserted in parallel: an exact search missed one of them in about half the runs).
        var untilParallel = Math.Clamp(ParallelBatch - linkedBefore, 0, toLink.Count);
        var inOrder = toLink.Count - untilParallel < ParallelBatch ? toLink.Count : untilParallel;
        for (var i = 0; i < inOrder; i++) Graph.Link(toLink[i]);
        if (inOrder < toLink.Count) Parallel.ForEach(toLink.Skip(inOrder), Graph.Link);
        PassingSets.Changed(ChangeSequence + 1, [.. toLink]);
        ChangeSequence++;
        return (items.Count - updated, updated, toLink);
    }

    /// <summary>Marks the item deleted and frees its slot for reuse; false when the id is unknown. Call inside <see cref="WriteAsync{T}"/>.</summary>
    public bool Delete(string id)
    {
        int slot;
        lock (_slotsLock)
        {
            if (!_slots.Remove(id, out slot)) return false;
        }
        using var writing = Writing();
        Graph.MarkDeleted(slot);
        var before = _metadata[slot];
        _ids[slot] = null;
        Volatile.Write(ref _metadata[slot], null);
        MetadataIndex.Replace(slot, before, null);
        _free.Add(slot);
        Count--;
        PassingSets.Changed(ChangeSequence + 1, [slot]);
        ChangeSequence++;
        return true;
    }

    /// <summary>The slot holding <paramref name="id"/>, or −1.</summary>
    int SlotOf(string id)
    {
        lock (_slotsLock) return _slots.TryGetValue(id, out var slot) ? slot : -1;
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

    /// <summary>
    /// The k nearest items, those <paramref name="filter"/> passes when one is given. Searches do not wait
    /// for writers, so a write may change an item between the moment its filter's set of passing items
    /// was taken and the moment the item is returned; a search that a write overlapped (none began
    /// after, and none was running before, the writes that had ended when it started) checks each result
    /// against the filter as returned, and searches again, up to twice, when one no longer passes.
    /// </summary>
    public List<VectorHit> Search(float[] query, int k, int ef, VectorFilter? filter = null)
    {
        if (filter is null) return Hits(query, k, ef, null);
        for (var attempt = 1; ; attempt++)
        {
            var quietSince = Interlocked.Read(ref _writesEnded);
            var hits = Hits(query, k, ef, filter);
            if (Interlocked.Read(ref _writesBegun) == quietSince) return hits;
            if (hits.RemoveAll(hit => !filter.Holds(hit.Id, hit.Metadata)) == 0 || attempt == 3) return hits;
        }
    }

    // Writes begun and ended, for Search: equal counts across a search mean no write overlapped it.
    long _writesBegun;
    long _writesEnded;

    /// <summary>Marks a write under way until disposed.</summary>
    WriteScope Writing()
    {
        Interlocked.Increment(ref _writesBegun);
        return new WriteScope(this);
    }

    readonly struct WriteScope(VectorIndex index) : IDisposable
    {
        public void Dispose() => Interlocked.Increment(ref index._writesEnded);
    }

    List<VectorHit> Hits(float[] query, int k, int ef, VectorFilter? filter)
    {
        // The sequence before the arrays: a filter's set made from them is then labelled no newer than
        // what they hold (a batch may grow them, writing its items into the new ones), so a later search
        // patches whatever changed since.
        var sequence = ChangeSequence;
        var ids = _ids;
        var metadata = _metadata;
        var hits = new List<VectorHit>(k);
        foreach (var (node, distance) in filter is null ? Graph.Search(query, k, ef) : FilteredSearch(query, k, ef, filter, sequence, ids, metadata))
        {
            if (ItemIn(ids, metadata, node) is { } item) hits.Add(new VectorHit(item.Id, distance, item.Metadata));
        }
        return hits;
    }

    /// <summary>The item in a slot, or null when the slot is free (or beyond the arrays).</summary>
    static (string Id, string? Metadata)? ItemIn(string?[] ids, string?[] metadata, int slot)
    {
        if (slot >= ids.Length || ids[slot] is not { } id) return null;
        var itsMetadata = Volatile.Read(ref metadata[slot]);
        // The id again after the metadata: a slot freed and taken by another item meanwhile would pair
        // one item's id with the other's metadata. Writers store the id, then the metadata with release
        // semantics, and these reads acquire, so the order holds on every processor, not only x86.
        return ReferenceEquals(Volatile.Read(ref ids[slot]), id) ? (id, itsMetadata) : null;
    }

    /// <summary>
    /// The first <paramref name="limit"/> items, by id, of those <paramref name="filter"/> passes (every
    /// item when null) whose ids sort after <paramref name="after"/>; how many pass in all; and the last
    /// id of the page when more follow it (null when none do). When a write overlaps the listing, the
    /// page's items are checked against the filter as returned, as <see cref="Search"/> does.
    /// </summary>
    public (List<(string Id, string? Metadata)> Items, int Count, string? Next) List(VectorFilter? filter, string? after, int limit)
    {
        var quietSince = Interlocked.Read(ref _writesEnded);
        var sequence = ChangeSequence;
        var ids = _ids;
        var metadata = _metadata;
        var slots = Math.Min(Graph.Count, ids.Length);
        IEnumerable<int> candidates = Enumerable.Range(0, slots);
        if (filter is not null)
        {
            var passing = PassingSets.For(filter, sequence, ids, metadata, slots);
            var known = Math.Min(passing.Set.Length, slots);
            candidates = passing.List.Concat(Enumerable.Range(known, slots - known).Where(slot => ids[slot] is { } id && filter.Holds(id, metadata[slot])));
        }
        var count = 0;
        var following = 0;
        var page = new PriorityQueue<(string Id, string? Metadata), string>(limit + 1, Comparer<string>.Create((a, b) => string.CompareOrdinal(b, a)));
        foreach (var slot in candidates)
        {
            if (ItemIn(ids, metadata, slot) is not { } item) continue;
            count++;
            if (after is not null && string.CompareOrdinal(item.Id, after) <= 0) continue;
            following++;
            if (page.Count < limit) page.Enqueue(item, item.Id);
            else if (string.CompareOrdinal(item.Id, page.Peek().Id) < 0) page.EnqueueDequeue(item, item.Id);
        }
        var items = new List<(string Id, string? Metadata)>(page.Count);
        while (page.TryDequeue(out var item, out _)) items.Add(item);
        items.Reverse();
        var next = following > limit ? items[^1].Id : null;
        if (filter is not null && Interlocked.Read(ref _writesBegun) != quietSince) items.RemoveAll(item => !filter.Holds(item.Id, item.Metadata));
        return (items, count, next);
    }

    /// <summary>A filter that passes fewer items than this is always answered by an exact scan of the items it passes.</summary>
    const int ExactScanBelow = 2048;

    static readonly Comparer<float> FarthestFirst = Comparer<float>.Create((a, b) => b.CompareTo(a));

    /// <summary>Which slots hold which metadata values, for the keys filters have named.</summary>
    internal MetadataIndex MetadataIndex { get; }

    /// <summary>The recent filters' passing slots, patched as the index changes.</summary>
    internal PassingSets PassingSets { get; }

    /// <summary>
    /// The k nearest items the filter passes. The plan follows the filter's selectivity (counted on the
    /// set of slots it passes): when it passes few items, the graph would be walked nearly whole to find
    /// k of them, so an exact scan over the passing items is cheaper and exact; otherwise the graph search
    /// applies the filter as it goes, with a wider beam when the filter rejects most of what it meets.
    /// </summary>
    List<(int Node, float Distance)> FilteredSearch(float[] query, int k, int ef, VectorFilter filter, long sequence, string?[] ids, string?[] metadata)
    {
        var slots = Math.Min(Graph.Count, ids.Length);
        var passing = PassingSets.For(filter, sequence, ids, metadata, slots);
        var known = Math.Min(passing.Set.Length, slots);
        // A slot written after the set was made (a batch racing this search) is judged on its own.
        bool Passes(int slot) => slot < ids.Length && ids[slot] is { } id && (slot < known ? passing.Set[slot] : filter.Holds(id, metadata[slot]));
        var selectivity = (double)passing.List.Length / Math.Max(1, Count);
        var beam = Math.Max(ef, k) * (selectivity < 0.5 ? 2 : 1);
        // Costs in distances computed: the scan measures every passing item; the graph, walking past the
        // items that fail, meets about beam × 2M / selectivity nodes before its beam fills with passing ones.
        var graphCost = beam * Graph.MaxM0 / Math.Max(selectivity, 1e-9);
        if (passing.List.Length < ExactScanBelow || passing.List.Length <= graphCost)
        {
            var nearest = new PriorityQueue<int, float>(k + 1, FarthestFirst);
            void Offer(int slot)
            {
                var distance = Graph.DistanceTo(query, slot);
                if (nearest.Count < k) nearest.Enqueue(slot, distance);
                else if (nearest.TryPeek(out _, out var farthest) && distance < farthest) nearest.EnqueueDequeue(slot, distance);
            }
            // The listed slots passed when the list was made; only a delete since can have emptied one.
            foreach (var slot in passing.List)
            {
                if (slot < ids.Length && ids[slot] is not null) Offer(slot);
            }
            for (var slot = known; slot < slots; slot++)
            {
                if (Passes(slot)) Offer(slot);
            }
            var exact = new List<(int Node, float Distance)>(nearest.Count);
            while (nearest.TryDequeue(out var node, out var distance)) exact.Add((node, distance));
            exact.Reverse();
            return exact;
        }
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

    /// <summary>
    /// Replays a stored delta: the next change after <see cref="ChangeSequence"/>, of this incarnation.
    /// Everything it names is checked against the index before anything changes, so a delta that does
    /// not fit leaves the index as it was (InvalidDataException). Call <see cref="RebuildFreeSlots"/> after the last.
    /// </summary>
    internal void Apply(VectorDelta delta)
    {
        CheckFits(delta);
        using var writing = Writing();
        Graph.EnsureCapacity(delta.SlotCount);
        Grow(Graph.Current.Capacity);
        foreach (var write in delta.Writes.OrderBy(w => w.Slot))
        {
            if (write.Slot == Graph.Count) Graph.Allocate(write.Vector, write.Level);
            else Graph.Replace(write.Slot, write.Vector);
            if (_ids[write.Slot] is null) Count++;
            var before = _metadata[write.Slot];
            _ids[write.Slot] = write.Id;
            Volatile.Write(ref _metadata[write.Slot], write.Metadata);
            MetadataIndex.Replace(write.Slot, before, write.Metadata);
            _slots[write.Id] = write.Slot;
        }
        foreach (var free in delta.Frees)
        {
            Graph.MarkDeleted(free.Slot);
            _slots.Remove(free.Id);
            var before = _metadata[free.Slot];
            _ids[free.Slot] = null;
            Volatile.Write(ref _metadata[free.Slot], null);
            MetadataIndex.Replace(free.Slot, before, null);
            Count--;
        }
        var store = Graph.Current;
        // Each (node, level) appears once in a delta, so its lists can be written on every core: a
        // replay's time goes to these scattered writes (a restart replays up to vectors.fold_ratio of the snapshot).
        if (delta.Lists.Count < ParallelBatch) foreach (var list in delta.Lists) Graph.AppendLinks(store, list.Node, list.Level, list.Kept, list.Tail);
        else Parallel.ForEach(delta.Lists, list => Graph.AppendLinks(store, list.Node, list.Level, list.Kept, list.Tail));
        Graph.Restore(delta.SlotCount, delta.EntryNode, delta.EntryLevel);
        PassingSets.Changed(delta.Sequence, [.. delta.Writes.Select(w => w.Slot), .. delta.Frees.Select(f => f.Slot)]);
        ChangeSequence = delta.Sequence;
    }

    void CheckFits(VectorDelta delta)
    {
        if (delta.Incarnation != Incarnation) throw new InvalidDataException($"it belongs to incarnation {delta.Incarnation}, not {Incarnation}");
        if (delta.Sequence != ChangeSequence + 1) throw new InvalidDataException($"it is change {delta.Sequence}, but the index is at change {ChangeSequence}");
        var before = Graph.Count;
        if (delta.SlotCount < before || delta.SlotCount > before + delta.Writes.Count) throw new InvalidDataException($"slot count {delta.SlotCount} does not follow {before} with {delta.Writes.Count} writes");
        var store = Graph.Current;
        var levels = new Dictionary<int, int>();
        var fresh = 0;
        foreach (var write in delta.Writes)
        {
            if (write.Slot < 0 || write.Slot >= delta.SlotCount || write.Level > 16 || !levels.TryAdd(write.Slot, write.Level)) throw new InvalidDataException($"write of slot {write.Slot} at level {write.Level} is out of range or repeated");
            if (write.Slot >= before)
            {
                fresh++;
                continue;
            }
            if (store.Levels[write.Slot] != write.Level) throw new InvalidDataException($"slot {write.Slot} has level {store.Levels[write.Slot]}, the delta says {write.Level}");
            if (_ids[write.Slot] is { } held && held != write.Id) throw new InvalidDataException($"slot {write.Slot} holds '{held}', not '{write.Id}'");
            if (_ids[write.Slot] is null && _slots.ContainsKey(write.Id)) throw new InvalidDataException($"'{write.Id}' is already in slot {_slots[write.Id]}");
        }
        if (fresh != delta.SlotCount - before) throw new InvalidDataException($"{fresh} new slots written, {delta.SlotCount - before} added");
        foreach (var free in delta.Frees)
        {
            if (free.Slot < 0 || free.Slot >= before || _ids[free.Slot] != free.Id) throw new InvalidDataException($"slot {free.Slot} does not hold '{free.Id}'");
        }
        foreach (var list in delta.Lists)
        {
            if (list.Node < 0 || list.Node >= delta.SlotCount) throw new InvalidDataException($"a list of slot {list.Node}, past the end");
            var level = levels.TryGetValue(list.Node, out var written) ? written : store.Levels[list.Node];
            var max = list.Level == 0 ? Graph.MaxM0 : Graph.M;
            if (list.Level > level || list.Kept + list.Tail.Length > max) throw new InvalidDataException($"slot {list.Node}'s list at level {list.Level} does not fit");
            if (list.Kept > 0 && (list.Node >= before || Graph.LinkCount(store, list.Node, list.Level) != list.Kept)) throw new InvalidDataException($"slot {list.Node}'s list at level {list.Level} does not have the {list.Kept} entries the delta keeps");
            foreach (var link in list.Tail)
            {
                if ((uint)link >= (uint)delta.SlotCount) throw new InvalidDataException($"slot {list.Node} links past the end");
            }
        }
        if (delta.SlotCount > 0 && (delta.EntryNode < 0 || delta.EntryNode >= delta.SlotCount)) throw new InvalidDataException($"entry point {delta.EntryNode} is out of range");
    }

    /// <summary>The free slots, once a replay has written and freed slots in its own order.</summary>
    internal void RebuildFreeSlots()
    {
        _free.Clear();
        for (var slot = 0; slot < Graph.Count; slot++)
        {
            if (_ids[slot] is null) _free.Add(slot);
        }
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
            else _free.Add(slot);
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
