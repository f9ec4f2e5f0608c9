namespace Lakehouse.Vectors.Hnsw;

/// <summary>
/// A hierarchical navigable small world graph (Malkov &amp; Yashunin) over numbered slots, laid out as
/// hnswlib does: vectors in one contiguous array, level-0 neighbour lists (up to 2·M) in another,
/// upper levels (up to M) only for the few nodes that have them. Neighbours are chosen with the
/// paper's heuristic (Algorithm 4). Searches take no lock: each neighbour list is read under a
/// per-node sequence number (a seqlock), so a reader never sees a list half rewritten, and a node
/// becomes reachable only after its vector and its own links are in place. Writers lock the node
/// whose list they change (striped locks), so several threads can insert at once.
/// </summary>
internal sealed class HnswGraph
{
    const int MaxLevel = 16;
    const int LockStripes = 1024;

    /// <summary>The arrays, replaced as a whole on growth; a search keeps the one it started with.</summary>
    internal sealed class Store(int capacity, int dimension, int maxM0)
    {
        public readonly int Capacity = capacity;
        public readonly float[] Vectors = new float[(long)capacity * dimension];
        public readonly int[] Links0 = new int[(long)capacity * (maxM0 + 1)];
        public readonly int[] Versions = new int[capacity];
        public readonly byte[] Levels = new byte[capacity];
        public readonly bool[] Deleted = new bool[capacity];
        public readonly int[]?[] Upper = new int[capacity][];
    }

    sealed record EntryPoint(int Node, int Level);

    [ThreadStatic]
    static SearchContext? t_context;

    readonly object[] _stripes = [.. Enumerable.Range(0, LockStripes).Select(_ => new object())];
    readonly Lock _entryLock = new();
    readonly double _levelMultiplier;
    volatile Store _store;
    volatile EntryPoint? _entry;
    int _count;

    public HnswGraph(int dimension, Metric metric, int m, int efConstruction, int initialCapacity = 1024)
    {
        Dimension = dimension;
        Metric = metric;
        M = m;
        MaxM0 = 2 * m;
        EfConstruction = efConstruction;
        _levelMultiplier = 1 / Math.Log(m);
        _store = new Store(Math.Max(16, initialCapacity), dimension, MaxM0);
    }

    public int Dimension { get; }
    public Metric Metric { get; }
    public int M { get; }
    public int MaxM0 { get; }
    public int EfConstruction { get; }

    /// <summary>Slots in use, live or deleted: node numbers run 0 .. Count−1.</summary>
    public int Count => Volatile.Read(ref _count);

    internal Store Current => _store;

    internal (int Node, int Level)? Entry => _entry is { } entry ? (entry.Node, entry.Level) : null;

    /// <summary>While set, every neighbour list change is noted in it (a batch's delta is built from it).</summary>
    internal ListJournal? Journal { get; set; }

    /// <summary>A random level with P(level ≥ l) = M^−l, from the caller's seeded generator.</summary>
    public int RandomLevel(Random random) => LevelFrom(random.NextDouble());

    /// <summary>
    /// The level of a new node in <paramref name="slot"/>: drawn as <see cref="RandomLevel"/> does, from
    /// a hash of the slot number (SplitMix64) rather than a generator's state, so an index read back
    /// from storage gives its next nodes the levels the live one would have.
    /// </summary>
    public int LevelFor(int slot)
    {
        var z = (ulong)(slot + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return LevelFrom((z >> 11) * (1.0 / (1UL << 53)));
    }

    int LevelFrom(double uniform) => Math.Min(MaxLevel, (int)(-Math.Log(1 - uniform) * _levelMultiplier));

    /// <summary>Grows the arrays to hold <paramref name="slots"/> nodes. Call with no insert running.</summary>
    public void EnsureCapacity(int slots)
    {
        var old = _store;
        if (slots <= old.Capacity) return;
        var grown = new Store(Math.Max(slots, old.Capacity * 2), Dimension, MaxM0);
        var used = Count;
        Array.Copy(old.Vectors, grown.Vectors, (long)used * Dimension);
        Array.Copy(old.Links0, grown.Links0, (long)used * (MaxM0 + 1));
        Array.Copy(old.Versions, grown.Versions, used);
        Array.Copy(old.Levels, grown.Levels, used);
        Array.Copy(old.Deleted, grown.Deleted, used);
        Array.Copy(old.Upper, grown.Upper, used);
        _store = grown;
    }

    /// <summary>Takes the next slot and stores its vector and level; link it with <see cref="Link"/>.</summary>
    public int Allocate(ReadOnlySpan<float> vector, int level)
    {
        var store = _store;
        var node = _count;
        if (node >= store.Capacity) throw new InvalidOperationException("EnsureCapacity first.");
        vector.CopyTo(store.Vectors.AsSpan(node * Dimension, Dimension));
        store.Levels[node] = (byte)level;
        store.Upper[node] = level > 0 ? new int[level * (M + 1)] : null;
        Volatile.Write(ref _count, node + 1);
        return node;
    }

    /// <summary>Overwrites a slot's vector (an upsert, or a deleted slot taken again); follow with <see cref="Link"/>.</summary>
    public void Replace(int node, ReadOnlySpan<float> vector)
    {
        var store = _store;
        lock (Stripe(node)) vector.CopyTo(store.Vectors.AsSpan(node * Dimension, Dimension));
        store.Deleted[node] = false;
    }

    public void MarkDeleted(int node) => _store.Deleted[node] = true;

    public ReadOnlySpan<float> Vector(int node) => _store.Vectors.AsSpan(node * Dimension, Dimension);

    /// <summary>The distance from <paramref name="query"/> to <paramref name="node"/>, as searches measure it.</summary>
    public float DistanceTo(ReadOnlySpan<float> query, int node) => Distance(_store, query, node);

    /// <summary>Connects <paramref name="node"/> (already allocated) into the graph at every level it has.</summary>
    public void Link(int node)
    {
        var store = _store;
        var level = (int)store.Levels[node];
        var query = store.Vectors.AsSpan(node * Dimension, Dimension).ToArray();
        var entry = _entry;
        if (entry is null)
        {
            lock (_entryLock)
            {
                if (_entry is null)
                {
                    _entry = new EntryPoint(node, level);
                    return;
                }
                entry = _entry;
            }
        }
        if (entry.Node == node && Count == 1) return; // the only node: nothing to link to
        var context = t_context ??= new SearchContext();
        var current = entry.Node;
        var currentDistance = Distance(store, query, current);
        for (var l = entry.Level; l > level; l--) (current, currentDistance) = Greedy(store, query, current, currentDistance, l, context);

        // All of the node's own lists are written before any other node links to it: a search that
        // reaches it through an upper level must find its level-0 list complete, not empty.
        var found = new List<(int Node, float Distance)>();
        var chosen = new List<(int Level, List<(int Node, float Distance)> Neighbours)>();
        for (var l = Math.Min(level, entry.Level); l >= 0; l--)
        {
            SearchLayer(store, query, [current], EfConstruction, l, context, found, exclude: node);
            if (found.Count == 0) continue;
            var neighbours = SelectNeighbours(store, found, M);
            lock (Stripe(node))
            {
                WriteLinks(store, node, l, neighbours.Select(n => n.Node).ToArray());
                Journal?.Rewritten(node, l);
            }
            chosen.Add((l, neighbours));
            current = found[0].Node;
        }
        foreach (var (l, neighbours) in chosen)
        {
            foreach (var (neighbour, _) in neighbours) Connect(store, neighbour, node, l);
        }
        if (level > entry.Level)
        {
            lock (_entryLock)
            {
                if (level > _entry!.Level) _entry = new EntryPoint(node, level);
            }
        }
    }

    /// <summary>
    /// The <paramref name="k"/> nearest live nodes, nearest first; with <paramref name="accept"/>, the
    /// nearest of those it accepts. The filter applies during the search: rejected nodes are still
    /// walked through but never fill a place in the results, so a filter does not cut the answer short.
    /// </summary>
    public List<(int Node, float Distance)> Search(ReadOnlySpan<float> query, int k, int ef, Func<int, bool>? accept = null)
    {
        var found = new List<(int Node, float Distance)>();
        var entry = _entry;
        var store = _store; // read after the entry: at least as new as it
        if (entry is null) return found;
        var context = t_context ??= new SearchContext();
        var current = entry.Node;
        var distance = Distance(store, query, current);
        for (var l = entry.Level; l > 0; l--) (current, distance) = Greedy(store, query, current, distance, l, context);
        SearchLayer(store, query, [current], Math.Max(ef, k), 0, context, found, exclude: -1, accept);
        if (found.Count > k) found.RemoveRange(k, found.Count - k);
        return found;
    }

    (int Node, float Distance) Greedy(Store store, ReadOnlySpan<float> query, int current, float distance, int level, SearchContext context)
    {
        var neighbours = context.Neighbors;
        for (var changed = true; changed;)
        {
            changed = false;
            var count = ReadLinks(store, current, level, neighbours);
            for (var i = 0; i < count; i++)
            {
                var d = Distance(store, query, neighbours[i]);
                if (d < distance)
                {
                    (current, distance, changed) = (neighbours[i], d, true);
                }
            }
        }
        return (current, distance);
    }

    /// <summary>The ef-search of one layer; fills <paramref name="found"/> nearest first, without deleted nodes or <paramref name="exclude"/>.</summary>
    void SearchLayer(Store store, ReadOnlySpan<float> query, int[] starts, int ef, int level, SearchContext context, List<(int Node, float Distance)> found, int exclude,
        Func<int, bool>? accept = null)
    {
        found.Clear();
        context.Begin(store.Capacity);
        var candidates = context.Candidates;
        var results = context.Results;
        var bound = float.MaxValue;
        foreach (var start in starts)
        {
            context.Visit(start);
            var d = Distance(store, query, start);
            candidates.Enqueue(start, d);
            if (!store.Deleted[start] && start != exclude && (accept is null || accept(start)))
            {
                results.Enqueue(start, -d);
                bound = d;
            }
        }
        var neighbours = context.Neighbors;
        while (candidates.TryDequeue(out var candidate, out var candidateDistance))
        {
            if (candidateDistance > bound && results.Count >= ef) break;
            var count = ReadLinks(store, candidate, level, neighbours);
            Prefetch(store, neighbours, count);
            for (var i = 0; i < count; i++)
            {
                var next = neighbours[i];
                if (!context.Visit(next)) continue;
                var d = Distance(store, query, next);
                if (results.Count >= ef && d >= bound) continue;
                candidates.Enqueue(next, d);
                if (store.Deleted[next] || next == exclude || (accept is not null && !accept(next))) continue;
                results.Enqueue(next, -d);
                if (results.Count > ef) results.Dequeue();
                results.TryPeek(out _, out var farthest);
                bound = -farthest;
            }
        }
        while (results.TryDequeue(out var node, out var negative)) found.Add((node, -negative));
        found.Reverse();
    }

    /// <summary>Algorithm 4: keep a candidate only if it is nearer to the base than to every neighbour kept so far.</summary>
    List<(int Node, float Distance)> SelectNeighbours(Store store, List<(int Node, float Distance)> candidates, int max)
    {
        var kept = new List<(int Node, float Distance)>(max);
        foreach (var candidate in candidates)
        {
            if (kept.Count >= max) break;
            var vector = store.Vectors.AsSpan(candidate.Node * Dimension, Dimension);
            var diverse = true;
            foreach (var (other, _) in kept)
            {
                if (Distance(store, vector, other) < candidate.Distance)
                {
                    diverse = false;
                    break;
                }
            }
            if (diverse) kept.Add(candidate);
        }
        return kept;
    }

    /// <summary>Adds a link neighbour → node, pruning the neighbour's list with the heuristic when it is full.</summary>
    void Connect(Store store, int neighbour, int node, int level)
    {
        var max = level == 0 ? MaxM0 : M;
        lock (Stripe(neighbour))
        {
            var (array, offset) = Locate(store, neighbour, level);
            var count = array[offset];
            var links = array.AsSpan(offset + 1, count);
            if (links.Contains(node)) return;
            if (count < max)
            {
                Journal?.Appended(neighbour, level, count);
                Interlocked.Increment(ref store.Versions[neighbour]);
                array[offset + 1 + count] = node;
                array[offset] = count + 1;
                Interlocked.Increment(ref store.Versions[neighbour]);
                return;
            }
            var vector = store.Vectors.AsSpan(neighbour * Dimension, Dimension);
            var candidates = new List<(int Node, float Distance)>(count + 1) { (node, Distance(store, vector, node)) };
            foreach (var existing in links) candidates.Add((existing, Distance(store, vector, existing)));
            candidates.Sort((a, b) => a.Distance.CompareTo(b.Distance));
            WriteLinks(store, neighbour, level, SelectNeighbours(store, candidates, max).Select(c => c.Node).ToArray());
            Journal?.Rewritten(neighbour, level);
        }
    }

    /// <summary>Copies a node's list at a level into <paramref name="into"/>, consistently: retried if a writer was mid-change.</summary>
    internal int ReadLinks(Store store, int node, int level, int[] into)
    {
        if (level > store.Levels[node]) return 0;
        var (array, offset) = Locate(store, node, level);
        var max = level == 0 ? MaxM0 : M;
        while (true)
        {
            var before = Volatile.Read(ref store.Versions[node]);
            if ((before & 1) != 0)
            {
                Thread.SpinWait(1);
                continue;
            }
            var count = Math.Clamp(array[offset], 0, max);
            array.AsSpan(offset + 1, count).CopyTo(into);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref store.Versions[node]) != before) continue;
            // Upper-level lists are arrays the grown store shares with the one a search started on, so
            // they can name nodes added after that store was outgrown: past its end, so not there to read.
            var kept = 0;
            for (var i = 0; i < count; i++)
            {
                if ((uint)into[i] < (uint)store.Capacity) into[kept++] = into[i];
            }
            return kept;
        }
    }

    /// <summary>How many links a node's list at a level holds (a replay checks it before appending).</summary>
    internal int LinkCount(Store store, int node, int level)
    {
        if (level > store.Levels[node]) return 0;
        var (array, offset) = Locate(store, node, level);
        return array[offset];
    }

    /// <summary>Keeps the first <paramref name="kept"/> links of a node's list at a level and appends <paramref name="tail"/> (a replay, with no other writer).</summary>
    internal void AppendLinks(Store store, int node, int level, int kept, ReadOnlySpan<int> tail)
    {
        var (array, offset) = Locate(store, node, level);
        Interlocked.Increment(ref store.Versions[node]);
        tail.CopyTo(array.AsSpan(offset + 1 + kept));
        array[offset] = kept + tail.Length;
        Interlocked.Increment(ref store.Versions[node]);
    }

    /// <summary>Rewrites a node's list at a level; the caller holds the node's stripe lock.</summary>
    internal void WriteLinks(Store store, int node, int level, ReadOnlySpan<int> links)
    {
        var (array, offset) = Locate(store, node, level);
        Interlocked.Increment(ref store.Versions[node]);
        links.CopyTo(array.AsSpan(offset + 1));
        array[offset] = links.Length;
        Interlocked.Increment(ref store.Versions[node]);
    }

    /// <summary>Asks the CPU for the neighbours' vectors before they are needed, as hnswlib does (_mm_prefetch).</summary>
    unsafe void Prefetch(Store store, int[] nodes, int count)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        fixed (float* vectors = store.Vectors)
        {
            for (var i = 0; i < count; i++) System.Runtime.Intrinsics.X86.Sse.Prefetch0(vectors + ((long)nodes[i] * Dimension));
        }
    }

    (int[] Array, int Offset) Locate(Store store, int node, int level) =>
        level == 0 ? (store.Links0, node * (MaxM0 + 1)) : (store.Upper[node]!, (level - 1) * (M + 1));

    object Stripe(int node) => _stripes[node & (LockStripes - 1)];

    float Distance(Store store, ReadOnlySpan<float> query, int node) =>
        Distances.Compute(Metric, query, store.Vectors.AsSpan(node * Dimension, Dimension));

    /// <summary>Restores a graph read from LHV1: slots, levels and links exactly as they were saved.</summary>
    internal void Restore(int count, int entryNode, int entryLevel)
    {
        Volatile.Write(ref _count, count);
        _entry = count > 0 && entryNode >= 0 ? new EntryPoint(entryNode, entryLevel) : null;
    }
}
