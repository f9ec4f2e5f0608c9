namespace Lakehouse.Vectors.Log;

/// <summary>
/// What one acknowledged batch or delete changed in an index, exactly as it changed it: the slots it
/// wrote (with each new slot's level), the slots it freed, every neighbour list it changed, and the
/// graph's slot count and entry point after it. Replaying it gives the same graph bit for bit, so a
/// search after a restart answers as the live index did, and replay never searches the graph.
/// </summary>
internal sealed record VectorDelta(
    long Sequence,
    string Incarnation,
    int SlotCount,
    int EntryNode,
    int EntryLevel,
    IReadOnlyList<SlotWrite> Writes,
    IReadOnlyList<SlotFree> Frees,
    IReadOnlyList<ListChange> Lists);

/// <param name="Vector">As the graph stores it (unit length under cosine).</param>
internal sealed record SlotWrite(int Slot, int Level, string Id, float[] Vector, string? Metadata);

internal sealed record SlotFree(int Slot, string Id);

/// <summary>The list of <paramref name="Node"/> at <paramref name="Level"/> is its first <paramref name="Kept"/> entries, then <paramref name="Tail"/>.</summary>
internal sealed record ListChange(int Node, int Level, int Kept, int[] Tail);
