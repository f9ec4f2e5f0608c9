namespace Lakehouse.Vectors.Log;

/// <summary>
/// How much of an index storage holds as deltas beyond its snapshot, and so when a fold is due: once
/// the deltas pass <c>vectors.fold_max_deltas</c> objects, or their bytes pass the larger of
/// <c>vectors.fold_min_bytes</c> and <c>vectors.fold_ratio</c> × the snapshot. The share of the
/// snapshot bounds a restart's replay to a fraction of the snapshot's own load (a byte of deltas costs
/// three to five times a byte of snapshot to load: the neighbour lists it changes are scattered over
/// the graph; at 0.15 a restart at 1M vectors measured 1.3–1.9× the snapshot alone); the floor keeps
/// small indexes from being rewritten whole every few batches.
/// </summary>
internal sealed class IndexLog(long snapshotBytes)
{
    readonly Lock _lock = new();
    readonly List<(long Sequence, long Bytes)> _deltas = [];
    long _snapshotBytes = snapshotBytes;

    public void Logged(long sequence, long bytes)
    {
        lock (_lock) _deltas.Add((sequence, bytes));
    }

    /// <summary>A snapshot holding changes up to <paramref name="sequence"/> is stored; returns the deltas it makes redundant.</summary>
    public List<long> Folded(long sequence, long snapshotBytes)
    {
        lock (_lock)
        {
            var folded = _deltas.Where(d => d.Sequence <= sequence).Select(d => d.Sequence).ToList();
            _deltas.RemoveAll(d => d.Sequence <= sequence);
            _snapshotBytes = snapshotBytes;
            return folded;
        }
    }

    public (int Count, long Bytes) Pending
    {
        get
        {
            lock (_lock) return (_deltas.Count, _deltas.Sum(d => d.Bytes));
        }
    }

    public bool FoldDue(FoldThresholds limits)
    {
        var (count, bytes) = Pending;
        return count > 0 && (count >= limits.MaxDeltas || bytes >= Math.Max(limits.MinBytes, (long)(limits.Ratio * _snapshotBytes)));
    }
}

/// <summary>The fold thresholds (vectors.fold_*).</summary>
internal sealed record FoldThresholds(long MinBytes, double Ratio, long MaxDeltas);
