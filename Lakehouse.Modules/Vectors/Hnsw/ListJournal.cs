using System.Collections.Concurrent;

namespace Lakehouse.Vectors.Hnsw;

/// <summary>
/// Which neighbour lists one batch changed, and how: a list the batch only appended to is logged as
/// its new tail (most backlinks land in a list with room), one it rewrote (a node's own lists, a
/// list pruned by the heuristic) as a whole. The graph calls it under the changed node's stripe
/// lock, so the entries of one list never race; lists of different nodes may be touched at once.
/// </summary>
internal sealed class ListJournal
{
    /// <summary>(node, level) → how many entries the list had before the batch first appended, or 0 once rewritten.</summary>
    readonly ConcurrentDictionary<long, int> _kept = new();

    public void Appended(int node, int level, int countBefore) => _kept.TryAdd(Key(node, level), countBefore);

    public void Rewritten(int node, int level) => _kept[Key(node, level)] = 0;

    /// <summary>Every changed list as (node, level, entries kept from before the batch), in node order.</summary>
    public IEnumerable<(int Node, int Level, int Kept)> Changes() =>
        _kept.OrderBy(entry => entry.Key).Select(entry => ((int)(entry.Key >> 5), (int)(entry.Key & 31), entry.Value));

    static long Key(int node, int level) => ((long)node << 5) | (uint)level;
}
