namespace Lakehouse.Vectors.Hnsw;

/// <summary>
/// Per-thread scratch for one search: a visited set cleared in O(1) by bumping an epoch tag (as
/// hnswlib's visited lists do), and the two heaps of the ef-search, reused across searches.
/// </summary>
internal sealed class SearchContext
{
    int[] _visited = [];
    int _epoch;

    /// <summary>Nearest-first candidates to expand.</summary>
    public PriorityQueue<int, float> Candidates { get; } = new();

    /// <summary>The best found so far, farthest first (priorities negated), at most ef.</summary>
    public PriorityQueue<int, float> Results { get; } = new();

    public int[] Neighbors { get; } = new int[512];

    public void Begin(int capacity)
    {
        if (_visited.Length < capacity) _visited = new int[Math.Max(capacity, _visited.Length * 2)];
        if (++_epoch == int.MaxValue)
        {
            Array.Clear(_visited);
            _epoch = 1;
        }
        Candidates.Clear();
        Results.Clear();
    }

    /// <summary>Marks <paramref name="node"/> visited; false when it already was in this search.</summary>
    public bool Visit(int node)
    {
        if (_visited[node] == _epoch) return false;
        _visited[node] = _epoch;
        return true;
    }
}
