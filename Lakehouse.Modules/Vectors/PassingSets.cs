using System.Collections;
using System.Collections.Concurrent;
using System.Numerics;

namespace Lakehouse.Vectors;

/// <summary>Which slots a filter passes as of a change sequence: as a set to test, and as an ascending list to scan.</summary>
internal sealed record PassingSlots(long Sequence, BitArray Set, int[] List);

/// <summary>
/// The slots recent filters pass, by filter text. A filter's set is built from the metadata index (the
/// sets of the values it names), which costs in proportion to the items it passes: a broad filter's
/// set is worth keeping, and searches tend to repeat a filter (a tenant, a category). A set is kept per
/// filter, and when the index changes it is patched: only the slots the changes since wrote or freed
/// are judged again. The index tells <see cref="Changed"/> of each change before its sequence number
/// becomes visible, so a search that sees a sequence finds its changes here; when the changes since a
/// set are no longer all remembered, the set is built again.
/// </summary>
internal sealed class PassingSets(MetadataIndex index, Func<string, int> slotOf)
{
    const int CachedFilters = 16;
    const int RememberedChanges = 256;

    readonly ConcurrentDictionary<string, PassingSlots> _sets = new(StringComparer.Ordinal);
    readonly Queue<(long Sequence, int[] Slots)> _changes = new();
    readonly Lock _changesLock = new();

    int _fullBuilds;

    /// <summary>How many sets were built from the metadata index rather than patched (for tests).</summary>
    internal int FullBuilds => Volatile.Read(ref _fullBuilds);

    /// <summary>Change <paramref name="sequence"/> wrote or freed <paramref name="slots"/>.</summary>
    public void Changed(long sequence, int[] slots)
    {
        lock (_changesLock)
        {
            _changes.Enqueue((sequence, slots));
            if (_changes.Count > RememberedChanges) _changes.Dequeue();
        }
    }

    /// <summary>The slots <paramref name="filter"/> passes among the first <paramref name="slots"/>, as of change <paramref name="sequence"/>.</summary>
    public PassingSlots For(VectorFilter filter, long sequence, string?[] ids, string?[] metadata, int slots)
    {
        bool Passes(int slot) => ids[slot] is { } id && filter.Holds(id, metadata[slot]);
        if (_sets.TryGetValue(filter.Text, out var cached))
        {
            if (cached.Sequence == sequence) return cached;
            if (cached.Sequence < sequence && ChangedBetween(cached.Sequence, sequence) is { } changed)
            {
                var set = new BitArray(cached.Set) { Length = slots };
                foreach (var slot in changed.Where(s => s < slots)) set[slot] = Passes(slot);
                for (var slot = cached.Set.Length; slot < slots; slot++) set[slot] = Passes(slot);
                return _sets[filter.Text] = new PassingSlots(sequence, set, Listed(set));
            }
        }
        var built = index.Read(filter.Keys(), key => filter.Passing(new VectorFilter.Slots(key, () => Live(ids, slots), slots, slotOf)));
        Interlocked.Increment(ref _fullBuilds);
        if (_sets.Count >= CachedFilters) _sets.Clear();
        return _sets[filter.Text] = new PassingSlots(sequence, built, Listed(built));
    }

    /// <summary>The slots changes after <paramref name="from"/> up to <paramref name="to"/> touched; null when some of them are forgotten.</summary>
    HashSet<int>? ChangedBetween(long from, long to)
    {
        lock (_changesLock)
        {
            var touched = new HashSet<int>();
            var seen = 0L;
            foreach (var (sequence, slots) in _changes)
            {
                if (sequence <= from || sequence > to) continue;
                touched.UnionWith(slots);
                seen++;
            }
            return seen == to - from ? touched : null;
        }
    }

    static BitArray Live(string?[] ids, int slots)
    {
        var live = new BitArray(slots);
        for (var slot = 0; slot < slots; slot++) live[slot] = ids[slot] is not null;
        return live;
    }

    static int[] Listed(BitArray set)
    {
        var words = new int[(set.Length + 31) / 32];
        set.CopyTo(words, 0);
        var list = new List<int>();
        for (var word = 0; word < words.Length; word++)
        {
            for (var bits = (uint)words[word]; bits != 0; bits &= bits - 1)
            {
                list.Add(word * 32 + BitOperations.TrailingZeroCount(bits));
            }
        }
        return [.. list];
    }
}
