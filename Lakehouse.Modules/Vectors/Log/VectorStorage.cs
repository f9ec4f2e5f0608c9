using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Lakehouse.Common;
using Lakehouse.Storage;
using Lakehouse.Vectors.Lhv1;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Vectors.Log;

/// <summary>
/// Where an index lives in storage: its LHV1 snapshot <c>_vectors/{name}.lhv1</c> and, beside it, one
/// LHVD delta per change since, <c>_vectors/{name}.log/{sequence}.lhvd</c>. Loading reads the snapshot
/// and replays the deltas after its sequence in order. A delta that fails its checks, or a gap in the
/// sequence, ends the replay there and is logged; it and every delta after it are moved to
/// <c>_vectors/{name}.rejected/</c>, where no later replay can pick them up behind newer changes.
/// </summary>
internal sealed class VectorStorage(IObjectStore store, ILogger<VectorStorage> logger, IMeterFactory meters)
{
    public const string Prefix = "_vectors/";
    const string SnapshotSuffix = ".lhv1";
    const string LogSuffix = ".log/";
    const string DeltaSuffix = ".lhvd";

    readonly Counter<long> _storedBytes = meters.Create(Telemetry.MeterName).CreateCounter<long>("lakehouse.vectors.stored", "By",
        "Bytes of vector snapshots and deltas written to storage");

    /// <summary>An index as storage holds it, and the deltas it was replayed from.</summary>
    public sealed record Loaded(VectorIndex Index, IndexLog Log);

    static string SnapshotKey(string name) => $"{Prefix}{name}{SnapshotSuffix}";

    static string LogPrefix(string name) => $"{Prefix}{name}{LogSuffix}";

    // Zero-padded so that key order is sequence order.
    static string DeltaKey(string name, long sequence) => $"{LogPrefix(name)}{sequence.ToString("D19", CultureInfo.InvariantCulture)}{DeltaSuffix}";

    /// <summary>Every stored index. Deltas of an index without a snapshot (a delete that crashed half way) are removed.</summary>
    public async Task<List<Loaded>> LoadAllAsync(CancellationToken cancellationToken)
    {
        var snapshots = new List<ObjectInfo>();
        var deltas = new Dictionary<string, List<(long Sequence, ObjectInfo Info)>>(StringComparer.Ordinal);
        await foreach (var info in ListAsync(Prefix, cancellationToken))
        {
            if (info.Key.EndsWith(SnapshotSuffix, StringComparison.Ordinal) && !info.Key.AsSpan(Prefix.Length).Contains('/')) snapshots.Add(info);
            else if (ParseDeltaKey(info.Key) is { } delta) (deltas.TryGetValue(delta.Name, out var list) ? list : deltas[delta.Name] = []).Add((delta.Sequence, info));
        }
        var loaded = new List<Loaded>();
        foreach (var snapshot in snapshots)
        {
            var name = snapshot.Key[Prefix.Length..^SnapshotSuffix.Length];
            deltas.Remove(name, out var logged);
            if (await LoadAsync(name, snapshot, logged ?? [], cancellationToken) is { } index) loaded.Add(index);
        }
        foreach (var (name, orphans) in deltas)
        {
            logger.LogWarning("Removing {Count} deltas of vector index {Name}, which has no snapshot (deleted)", orphans.Count, name);
            foreach (var (_, info) in orphans) await store.DeleteAsync(info.Key, cancellationToken);
        }
        return loaded;
    }

    /// <summary>One index as storage holds it, or null when it has no snapshot.</summary>
    public async Task<Loaded?> LoadAsync(string name, CancellationToken cancellationToken)
    {
        if (await store.HeadAsync(SnapshotKey(name), cancellationToken) is not { } snapshot) return null;
        var logged = new List<(long Sequence, ObjectInfo Info)>();
        await foreach (var info in ListAsync(LogPrefix(name), cancellationToken))
        {
            if (ParseDeltaKey(info.Key) is { } delta && delta.Name == name) logged.Add((delta.Sequence, info));
        }
        return await LoadAsync(name, snapshot, logged, cancellationToken);
    }

    async Task<Loaded?> LoadAsync(string name, ObjectInfo snapshot, List<(long Sequence, ObjectInfo Info)> logged, CancellationToken cancellationToken)
    {
        // Storage failing is not the file's fault: it fails the whole load, which start-up retries.
        var clock = Stopwatch.StartNew();
        VectorIndex index;
        await using (var local = await LocalFile.OpenAsync(store, snapshot.Key, cancellationToken))
        {
            if (local is null) return null;
            try
            {
                index = await Task.Run(() => Lhv1Format.Read(local.Path), cancellationToken);
                if (index.Params.Name != name) throw new InvalidDataException($"it holds index '{index.Params.Name}'");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever a bad file makes the reader throw, it takes down that index only.
                logger.LogError("Skipping vector index file {Key}: {Reason}", snapshot.Key, e.Message);
                return null;
            }
        }
        var log = new IndexLog(snapshot.Size);
        logged.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        foreach (var (_, info) in logged.Where(d => d.Sequence <= index.ChangeSequence))
        {
            await store.DeleteAsync(info.Key, cancellationToken); // folded into the snapshot by a fold that stopped before removing them
        }
        var pending = logged.Where(d => d.Sequence > index.ChangeSequence).ToList();
        for (var i = 0; i < pending.Count; i++)
        {
            var (sequence, info) = pending[i];
            var problem = sequence != index.ChangeSequence + 1 ? $"change {index.ChangeSequence + 1} is missing" : await ReplayAsync(index, info, cancellationToken);
            if (problem is not null)
            {
                logger.LogError("Vector index {Name}: the replay stops at change {Sequence} ({Problem}); {Count} deltas from there on are moved to {Rejected}",
                    name, index.ChangeSequence, problem, pending.Count - i, $"{Prefix}{name}.rejected/");
                foreach (var (_, rejected) in pending.Skip(i)) await RejectAsync(name, rejected, cancellationToken);
                break;
            }
            log.Logged(sequence, info.Size);
        }
        if (pending.Count > 0) index.RebuildFreeSlots();
        logger.LogInformation("Loaded vector index {Name} ({Count} items, change {Sequence}, {Deltas} deltas replayed) in {Elapsed} ms",
            name, index.Count, index.ChangeSequence, log.Pending.Count, clock.ElapsedMilliseconds);
        return new Loaded(index, log);
    }

    /// <summary>Applies one stored delta; returns what is wrong with it instead, leaving the index as it was.</summary>
    async Task<string?> ReplayAsync(VectorIndex index, ObjectInfo info, CancellationToken cancellationToken)
    {
        await using var content = await store.GetAsync(info.Key, null, cancellationToken);
        if (content is null) return "its delta vanished";
        using var buffer = new MemoryStream(checked((int)Math.Max(content.Info.Size, 0)));
        await content.Stream.CopyToAsync(buffer, cancellationToken);
        try
        {
            var delta = DeltaFormat.Read(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), index.Params, index.Incarnation);
            index.Apply(delta);
            return null;
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
    }

    async Task RejectAsync(string name, ObjectInfo info, CancellationToken cancellationToken)
    {
        await using (var content = await store.GetAsync(info.Key, null, cancellationToken))
        {
            if (content is not null) await store.PutAsync($"{Prefix}{name}.rejected/{info.Key[LogPrefix(name).Length..]}", content.Stream, cancellationToken);
        }
        await store.DeleteAsync(info.Key, cancellationToken);
    }

    /// <summary>Stores a new index: its empty snapshot, after removing any deltas an earlier index of the name left.</summary>
    public async Task<long> CreateAsync(VectorIndex index, CancellationToken cancellationToken)
    {
        await DeleteDeltasAsync(index.Params.Name, cancellationToken);
        var (path, _) = await WriteSnapshotFileAsync(index, cancellationToken);
        return await StoreSnapshotFileAsync(index.Params.Name, path, cancellationToken);
    }

    /// <summary>Writes the index to a local LHV1 file under its writer lock; returns the file and the last change it holds.</summary>
    public static async Task<(string Path, long Sequence)> WriteSnapshotFileAsync(VectorIndex index, CancellationToken cancellationToken)
    {
        var path = ScratchFiles.NewFile("snapshot", ".lhv1");
        try
        {
            return (path, await index.WriteAsync(() =>
            {
                Lhv1Format.Write(index, path);
                return index.ChangeSequence;
            }, cancellationToken));
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Stores a snapshot file from <see cref="WriteSnapshotFileAsync"/>, taking it over (it is gone afterwards, stored or not); returns its size.</summary>
    public async Task<long> StoreSnapshotFileAsync(string name, string path, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = new FileInfo(path).Length;
            await store.PutFileAsync(SnapshotKey(name), path, cancellationToken);
            _storedBytes.Add(bytes, new KeyValuePair<string, object?>("kind", "snapshot"));
            return bytes;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Stores one delta as one object; returns its size.</summary>
    public async Task<long> StoreDeltaAsync(IndexParams parameters, VectorDelta delta, CancellationToken cancellationToken)
    {
        var bytes = DeltaFormat.Write(delta, parameters);
        await store.PutAsync(DeltaKey(parameters.Name, delta.Sequence), new MemoryStream(bytes, writable: false), cancellationToken);
        _storedBytes.Add(bytes.Length, new KeyValuePair<string, object?>("kind", "delta"));
        return bytes.Length;
    }

    /// <summary>Removes the deltas a stored snapshot holds.</summary>
    public Task DeleteFoldedAsync(string name, IReadOnlyCollection<long> sequences, CancellationToken cancellationToken) =>
        Task.WhenAll(sequences.Select(sequence => store.DeleteAsync(DeltaKey(name, sequence), cancellationToken)));

    /// <summary>Removes an index: the snapshot first, so that a crash part way leaves deltas without a snapshot, which a load removes.</summary>
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await store.DeleteAsync(SnapshotKey(name), cancellationToken);
        await DeleteDeltasAsync(name, cancellationToken);
    }

    async Task DeleteDeltasAsync(string name, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var info in ListAsync(LogPrefix(name), cancellationToken)) keys.Add(info.Key);
        foreach (var key in keys) await store.DeleteAsync(key, cancellationToken);
    }

    async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var page = await store.ListAsync(prefix, 1000, cursor, cancellationToken);
            foreach (var info in page.Objects) yield return info;
            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    /// <summary>(index name, sequence) of a delta key, or null for any other key.</summary>
    static (string Name, long Sequence)? ParseDeltaKey(string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || !key.EndsWith(DeltaSuffix, StringComparison.Ordinal)) return null;
        var at = key.IndexOf(LogSuffix, Prefix.Length, StringComparison.Ordinal);
        if (at < 0) return null;
        var number = key.AsSpan(at + LogSuffix.Length, key.Length - at - LogSuffix.Length - DeltaSuffix.Length);
        return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? (key[Prefix.Length..at], sequence) : null;
    }
}
