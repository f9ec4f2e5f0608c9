using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Lakehouse.Common;
using Lakehouse.Vectors.Hnsw;
using Lakehouse.Vectors.Log;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Vectors;

/// <summary>
/// The indexes of this process. Durability (docs/design.md, "Vector batch"): a batch or delete is
/// applied under the index's save gate, which orders changes, and acknowledged once its LHVD delta is
/// stored beside the LHV1 snapshot (<see cref="VectorStorage"/>); a batch costs its own size, not the
/// index's. A fold writes a new snapshot in the background once the deltas pass the thresholds of
/// <see cref="IndexLog"/>; batches go on while it uploads. A delta that fails to store leaves memory
/// ahead of storage, holding a change no one was told is stored: that index is then unavailable (503)
/// until it has been read back from storage, so a refused batch is never searchable and never stored
/// later behind its caller's back.
/// </summary>
internal sealed class VectorService(VectorStorage storage, LakehouseConfig config, ILogger<VectorService> logger, IMeterFactory meters) : IVectorService
{
    const int MaxBatch = 100_000;
    const int DefaultListed = 100;
    const int MaxListed = 1000;

    readonly Histogram<double> _searchLatency = meters.Create(Telemetry.MeterName).CreateHistogram<double>("lakehouse.vectors.search.duration", "ms");
    readonly FoldThresholds _foldAt = new(config.Vectors.FoldMinBytes, config.Vectors.FoldRatio, config.Vectors.FoldMaxDeltas);

    readonly ConcurrentDictionary<string, Persisted> _indexes = MeasuredRegistry(meters);
    readonly Lock _registry = new();
    LoadOnce? _loaded;

    /// <summary>Every persisted index in memory; the API waits for it, so a request never races the start-up load.</summary>
    LoadOnce Loaded => LazyInitializer.EnsureInitialized(ref _loaded, () => new LoadOnce(() => LoadAllAsync(CancellationToken.None)));

    public Task EnsureLoadedAsync() => Loaded.EnsureAsync();

    /// <summary>The registry of indexes, with a gauge that reports how many vectors each holds.</summary>
    static ConcurrentDictionary<string, Persisted> MeasuredRegistry(IMeterFactory meters)
    {
        var indexes = new ConcurrentDictionary<string, Persisted>(StringComparer.Ordinal);
        meters.Create(Telemetry.MeterName).CreateObservableGauge("lakehouse.vectors.index.vectors",
            () => indexes.Select(entry => new Measurement<int>(entry.Value.Index.Count, new KeyValuePair<string, object?>("index", entry.Key))), "{vector}");
        return indexes;
    }

    /// <summary>An index, its log, and the state of its writes.</summary>
    sealed class Persisted(VectorIndex index, IndexLog log)
    {
        public VectorIndex Index { get; } = index;
        public IndexLog Log { get; } = log;

        /// <summary>Held from a change's apply until its delta is stored, so deltas are stored in sequence order.</summary>
        public SemaphoreSlim SaveGate { get; } = new(1, 1);

        /// <summary>The running fold, or a completed task.</summary>
        public Task Fold { get; set; } = Task.CompletedTask;

        /// <summary>A delta failed to store: memory holds a change storage does not, and this copy is being replaced from storage.</summary>
        public volatile bool Abandoned;

        /// <summary>The index is being deleted: no change may start.</summary>
        public volatile bool Removed;
    }

    async Task LoadAllAsync(CancellationToken cancellationToken)
    {
        if (!config.Vectors.Persist) return;
        foreach (var (index, log) in await storage.LoadAllAsync(cancellationToken))
        {
            var persisted = new Persisted(index, log);
            _indexes.TryAdd(index.Params.Name, persisted);
            FoldIfDue(persisted);
        }
    }

    public async Task<IndexInfo> CreateAsync(CreateIndexRequest request, CancellationToken cancellationToken)
    {
        var parameters = IndexParams.Validate(request.Name, request.Dim, request.Metric, request.M, request.EfConstruction, request.EfSearch);
        await EnsureLoadedAsync();
        var index = new VectorIndex(parameters);
        var persisted = new Persisted(index, new IndexLog(0));
        lock (_registry)
        {
            if (!_indexes.TryAdd(parameters.Name, persisted)) throw ProblemException.Conflict($"Vector index '{parameters.Name}' already exists.");
        }
        if (!config.Vectors.Persist) return Info(index);
        await persisted.SaveGate.WaitAsync(CancellationToken.None);
        try
        {
            persisted.Log.Folded(0, await storage.CreateAsync(index, CancellationToken.None));
        }
        catch (Exception e)
        {
            _indexes.TryRemove(parameters.Name, out _);
            throw NotStored(parameters.Name, e);
        }
        finally
        {
            persisted.SaveGate.Release();
        }
        return Info(index);
    }

    public IReadOnlyList<IndexInfo> List()
    {
        Loaded.Ensure();
        return [.. _indexes.Values.Select(p => Info(p.Index)).OrderBy(i => i.Name, StringComparer.Ordinal)];
    }

    public IndexInfo Get(string name) => Info(Find(name).Index);

    /// <summary>
    /// Stops new changes, lets a running fold finish (its snapshot upload must not land after the
    /// delete), removes the objects, and only then frees the name, so a new index of the same name
    /// never meets this one's objects.
    /// </summary>
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var persisted = Find(name);
        await persisted.SaveGate.WaitAsync(cancellationToken);
        try
        {
            if (persisted.Removed) throw ProblemException.NotFound($"Vector index '{name}' does not exist.");
            persisted.Removed = true;
        }
        finally
        {
            persisted.SaveGate.Release();
        }
        try
        {
            await persisted.Fold;
            if (config.Vectors.Persist) await storage.DeleteAsync(name, CancellationToken.None);
        }
        finally
        {
            _indexes.TryRemove(KeyValuePair.Create(name, persisted));
        }
    }

    public Task<UpsertResult> UpsertAsync(string name, UpsertRequest request, CancellationToken cancellationToken) =>
        UpsertAsync(name, Validate(request, Find(name).Index.Params), cancellationToken);

    /// <summary>The index's parameters, which its items must fit.</summary>
    public IndexParams ParamsOf(string name) => Find(name).Index.Params;

    /// <summary>Upserts items validated already (<see cref="CheckItem"/>) as one batch: one delta, all or nothing.</summary>
    public async Task<UpsertResult> UpsertAsync(string name, IReadOnlyList<VectorItem> items, CancellationToken cancellationToken)
    {
        var persisted = Find(name);
        var (added, updated, count) = await ChangeAsync(persisted, index =>
        {
            if (!config.Vectors.Persist)
            {
                var (plainAdded, plainUpdated) = index.Upsert(items); // nothing to store, so no delta to build
                return (null, (plainAdded, plainUpdated, index.Count));
            }
            var (a, u, delta) = index.UpsertLogged(items);
            return (delta, (a, u, index.Count));
        }, cancellationToken);
        return new UpsertResult(added, updated, count);
    }

    public ItemResponse GetItem(string name, string id)
    {
        var found = Find(name).Index.Get(id) ?? throw ProblemException.NotFound($"Item '{id}' is not in index '{name}'.");
        return new ItemResponse(id, found.Vector, Parse(found.Metadata));
    }

    public ItemPage ListItems(string name, ItemListRequest request)
    {
        var index = Find(name).Index;
        var limit = DefaultListed;
        if (request.Limit is not null && (!int.TryParse(request.Limit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxListed))
        {
            throw ProblemException.BadRequest($"limit must be a whole number from 1 to {MaxListed}, not '{request.Limit}'.");
        }
        VectorFilter? filter = null;
        if (request.Filter is not null)
        {
            try
            {
                using var json = JsonDocument.Parse(request.Filter);
                filter = VectorFilter.Parse(json.RootElement);
            }
            catch (JsonException e)
            {
                throw ProblemException.BadRequest($"filter is not JSON: {e.Message}");
            }
        }
        var (items, count, next) = index.List(filter, request.After, limit);
        return new ItemPage([.. items.Select(item => new ListedItem(item.Id, Parse(item.Metadata)))], count, next);
    }

    public async Task DeleteItemAsync(string name, string id, CancellationToken cancellationToken)
    {
        var persisted = Find(name);
        var deleted = await ChangeAsync(persisted, index => index.DeleteLogged(id) is { } delta ? (delta, true) : (null, false), cancellationToken);
        if (!deleted) throw ProblemException.NotFound($"Item '{id}' is not in index '{name}'.");
    }

    public SearchResponse Search(string name, SearchRequest request)
    {
        var index = Find(name).Index;
        var k = request.K ?? 10;
        if (k is < 1 or > SearchRequest.MaxK) throw ProblemException.BadRequest($"k must be from 1 to {SearchRequest.MaxK}, not {k}.");
        if (request.Ef is < 1 or > SearchRequest.MaxEf) throw ProblemException.BadRequest($"ef must be from 1 to {SearchRequest.MaxEf}, not {request.Ef}.");
        var query = CheckVector(request.Vector, index.Params, "vector");
        var clock = Stopwatch.StartNew();
        var filter = request.Filter is { ValueKind: not JsonValueKind.Null } json ? VectorFilter.Parse(json) : null;
        var hits = index.Search(query, k, request.Ef ?? index.Params.EfSearch, filter);
        _searchLatency.Record(clock.Elapsed.TotalMilliseconds);
        return new SearchResponse([.. hits.Select(h => new SearchHit(h.Id, h.Distance, Parse(h.Metadata)))]);
    }

    /// <summary>
    /// Applies a change as the index's only writer and stores its delta before returning; the change
    /// returns its delta, or null when it changed nothing. Once applied, the store is not cancelled:
    /// memory must not stay ahead of storage because a caller went away.
    /// </summary>
    async Task<T> ChangeAsync<T>(Persisted persisted, Func<VectorIndex, (VectorDelta? Delta, T Result)> change, CancellationToken cancellationToken)
    {
        var index = persisted.Index;
        var name = index.Params.Name;
        await persisted.SaveGate.WaitAsync(cancellationToken);
        try
        {
            if (persisted.Removed) throw ProblemException.NotFound($"Vector index '{name}' does not exist.");
            if (persisted.Abandoned) throw NotStored(name, null); // a change before ours failed to store
            var (delta, result) = await index.WriteAsync(() => change(index), CancellationToken.None);
            if (delta is null || !config.Vectors.Persist) return result;
            try
            {
                persisted.Log.Logged(delta.Sequence, await storage.StoreDeltaAsync(index.Params, delta, CancellationToken.None));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                persisted.Abandoned = true;
                _ = RestoreFromStorageAsync(persisted);
                throw NotStored(name, e);
            }
            return result;
        }
        finally
        {
            persisted.SaveGate.Release();
            FoldIfDue(persisted);
        }
    }

    /// <summary>Starts a fold when the index's deltas have passed the thresholds and none is running.</summary>
    void FoldIfDue(Persisted persisted)
    {
        if (!config.Vectors.Persist || !persisted.Log.FoldDue(_foldAt)) return;
        lock (persisted)
        {
            if (persisted.Fold.IsCompleted) persisted.Fold = Task.Run(() => FoldAsync(persisted));
        }
    }

    /// <summary>
    /// Writes a snapshot of everything stored so far (under the save gate, so no change is half
    /// stored), then uploads it while batches go on, then removes the deltas it holds. A crash at
    /// any point leaves the old snapshot with every delta, or the new one with the deltas after it.
    /// </summary>
    async Task FoldAsync(Persisted persisted)
    {
        var name = persisted.Index.Params.Name;
        try
        {
            string path;
            long sequence;
            await persisted.SaveGate.WaitAsync();
            try
            {
                if (persisted.Removed || persisted.Abandoned) return;
                (path, sequence) = await VectorStorage.WriteSnapshotFileAsync(persisted.Index, CancellationToken.None);
            }
            finally
            {
                persisted.SaveGate.Release();
            }
            var clock = Stopwatch.StartNew();
            var bytes = await storage.StoreSnapshotFileAsync(name, path, CancellationToken.None);
            var folded = persisted.Log.Folded(sequence, bytes);
            await storage.DeleteFoldedAsync(name, folded, CancellationToken.None);
            logger.LogInformation("Folded {Deltas} deltas of vector index {Name} into a snapshot at change {Sequence} ({Bytes} bytes, {Elapsed} ms)",
                folded.Count, name, sequence, bytes, clock.ElapsedMilliseconds);
        }
        catch (Exception e)
        {
            // Nothing is lost: the deltas stay until a snapshot holding them is stored. The next change tries again.
            logger.LogWarning("Folding vector index {Name} failed; its deltas stay: {Reason}", name, e.Message);
        }
    }

    static ProblemException NotStored(string name, Exception? cause) =>
        cause is ProblemException { Status: StatusCodes.Status507InsufficientStorage } full
            ? ProblemException.InsufficientStorage($"Vector index '{name}' could not be stored, so the change was not applied: {full.Message}", cause)
            : ProblemException.Unavailable($"Vector index '{name}' could not be stored, so the change was not applied{(cause is null ? "" : ": " + cause.Message)}. Retry once storage answers.", cause);

    /// <summary>
    /// Replaces an abandoned copy with the index as storage holds it, retrying with back-off while
    /// storage does not answer; an index that was never stored (its create failed) is removed.
    /// </summary>
    async Task RestoreFromStorageAsync(Persisted abandoned)
    {
        var name = abandoned.Index.Params.Name;
        for (var pause = TimeSpan.FromMilliseconds(100); _indexes.TryGetValue(name, out var current) && current == abandoned; pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks)))
        {
            try
            {
                await abandoned.Fold; // its upload must not land after our read
                if (await storage.LoadAsync(name, CancellationToken.None) is not { } stored)
                {
                    _indexes.TryRemove(KeyValuePair.Create(name, abandoned));
                    return;
                }
                _indexes.TryUpdate(name, new Persisted(stored.Index, stored.Log), abandoned);
                logger.LogWarning("Vector index {Name} was read back from storage after a failed write ({Count} items)", name, stored.Index.Count);
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Vector index {Name} cannot be read back from storage yet ({Reason}); trying again in {Pause}", name, e.Message, pause);
                await Task.Delay(pause);
            }
        }
    }

    static List<VectorItem> Validate(UpsertRequest request, IndexParams parameters)
    {
        if (request.Items is not { Count: > 0 } items) throw ProblemException.BadRequest("items must list at least one item.");
        if (items.Count > MaxBatch) throw ProblemException.TooLarge($"A batch holds at most {MaxBatch} items; this one has {items.Count}.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var valid = new List<VectorItem>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i] ?? throw ProblemException.BadRequest($"items[{i}] is null.");
            var checkedItem = CheckItem(item.Id, item.Vector, VectorIndex.MetadataText(item.Metadata, i), parameters, $"items[{i}]");
            if (!seen.Add(checkedItem.Id)) throw ProblemException.BadRequest($"items[{i}] repeats id '{checkedItem.Id}' within the batch.");
            valid.Add(checkedItem);
        }
        return valid;
    }

    /// <summary>One item as the index will store it, or 400 naming what is wrong with it (as <paramref name="what"/>).</summary>
    public static VectorItem CheckItem(string? id, float[]? vector, string? metadata, IndexParams parameters, string what)
    {
        if (id is not { Length: >= 1 and <= 256 }) throw ProblemException.BadRequest($"{what}.id must be 1 to 256 characters.");
        return new VectorItem(id, CheckVector(vector, parameters, $"{what} ('{id}').vector"), metadata);
    }

    /// <summary>A copy of the vector as the graph stores it (unit length under cosine), or 400 naming what is wrong.</summary>
    static float[] CheckVector(float[]? vector, IndexParams parameters, string what)
    {
        if (vector is null) throw ProblemException.BadRequest($"{what} is required.");
        if (vector.Length != parameters.Dim) throw ProblemException.BadRequest($"{what} has {vector.Length} dimensions; the index has {parameters.Dim}.");
        for (var j = 0; j < vector.Length; j++)
        {
            if (!float.IsFinite(vector[j])) throw ProblemException.BadRequest($"{what}[{j}] is {vector[j]}; values must be finite numbers.");
        }
        var copy = (float[])vector.Clone();
        if (parameters.Metric == Metric.Cosine && !Distances.Normalize(copy)) throw ProblemException.BadRequest($"{what} is all zeros, which has no direction under cosine.");
        return copy;
    }

    Persisted Find(string name)
    {
        Names.Validate(name, "Index");
        Loaded.Ensure();
        if (!_indexes.TryGetValue(name, out var persisted)) throw ProblemException.NotFound($"Vector index '{name}' does not exist.");
        if (persisted.Abandoned) throw ProblemException.Unavailable($"Vector index '{name}' is being read back from storage after a write that failed; retry shortly.");
        return persisted;
    }

    static IndexInfo Info(VectorIndex index) =>
        new(index.Params.Name, index.Params.Dim, index.Params.MetricName, index.Params.M, index.Params.EfConstruction, index.Params.EfSearch, index.Count);

    static JsonElement? Parse(string? metadata) => metadata is null ? null : JsonDocument.Parse(metadata).RootElement.Clone();
}
