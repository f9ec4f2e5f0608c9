using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Lakehouse.Common;
using Lakehouse.Storage;
using Lakehouse.Vectors.Hnsw;
using Lakehouse.Vectors.Lhv1;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Vectors;

/// <summary>
/// The indexes of this process, each persisted as _vectors/{name}.lhv1. Durability: a batch or
/// delete is acknowledged only after an LHV1 write that includes it has been stored, so a crash
/// right after an acknowledgement loses nothing. Writes are coalesced: while one save runs, the
/// changes that arrive meanwhile share the next save instead of each rewriting the file. A save
/// snapshots the index under its writer lock into a temp file (searches go on), then uploads it.
/// A save that fails leaves memory ahead of storage, holding changes no one was told are stored:
/// that index is then unavailable (503) until it has been read back from storage, so a refused
/// batch is never searchable and a later save never stores it behind its caller's back.
/// </summary>
internal sealed class VectorService(IObjectStore store, LakehouseConfig config, ILogger<VectorService> logger, IMeterFactory meters) : IVectorService
{
    const string Prefix = "_vectors/";
    const int MaxBatch = 100_000;
    const int MaxK = 1000;

    readonly Histogram<double> _searchLatency = meters.Create(Telemetry.MeterName).CreateHistogram<double>("lakehouse.vectors.search.duration", "ms");

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

    /// <summary>An index and the state of its saves.</summary>
    sealed class Persisted(VectorIndex index)
    {
        public VectorIndex Index { get; } = index;
        public SemaphoreSlim SaveGate { get; } = new(1, 1);
        public long SavedSequence { get; set; } = -1;

        /// <summary>A save failed: memory holds changes storage does not, and this copy is being replaced from storage.</summary>
        public volatile bool Abandoned;
    }

    async Task LoadAllAsync(CancellationToken cancellationToken)
    {
        if (!config.Vectors.Persist) return;
        string? cursor = null;
        do
        {
            var page = await store.ListAsync(Prefix, 1000, cursor, cancellationToken);
            foreach (var info in page.Objects.Where(o => o.Key.EndsWith(".lhv1", StringComparison.Ordinal)))
            {
                // Storage failing is not the file's fault: it fails the whole load, which start-up retries.
                await using var local = await LocalFile.OpenAsync(store, info.Key, cancellationToken);
                if (local is null) continue;
                var clock = Stopwatch.StartNew();
                VectorIndex index;
                try
                {
                    index = await Task.Run(() => Lhv1Format.Read(local.Path), cancellationToken);
                    if (Key(index.Params.Name) != info.Key) throw new InvalidDataException($"it holds index '{index.Params.Name}'");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Whatever a bad file makes the reader throw, it takes down that index only.
                    logger.LogError("Skipping vector index file {Key}: {Reason}", info.Key, e.Message);
                    continue;
                }
                _indexes.TryAdd(index.Params.Name, new Persisted(index) { SavedSequence = index.ChangeSequence });
                logger.LogInformation("Loaded vector index {Name} ({Count} items) in {Elapsed} ms", index.Params.Name, index.Count, clock.ElapsedMilliseconds);
            }
            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    public async Task<IndexInfo> CreateAsync(CreateIndexRequest request, CancellationToken cancellationToken)
    {
        var parameters = IndexParams.Validate(request.Name, request.Dim, request.Metric, request.M, request.EfConstruction, request.EfSearch);
        await EnsureLoadedAsync();
        var persisted = new Persisted(new VectorIndex(parameters));
        lock (_registry)
        {
            if (!_indexes.TryAdd(parameters.Name, persisted)) throw ProblemException.Conflict($"Vector index '{parameters.Name}' already exists.");
        }
        try
        {
            await SaveAsync(persisted, 0, cancellationToken);
        }
        catch
        {
            _indexes.TryRemove(parameters.Name, out _);
            throw;
        }
        return Info(persisted.Index);
    }

    public IReadOnlyList<IndexInfo> List()
    {
        Loaded.Ensure();
        return [.. _indexes.Values.Select(p => Info(p.Index)).OrderBy(i => i.Name, StringComparer.Ordinal)];
    }

    public IndexInfo Get(string name) => Info(Find(name).Index);

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var persisted = Find(name);
        await persisted.SaveGate.WaitAsync(cancellationToken);
        try
        {
            _indexes.TryRemove(name, out _);
            if (config.Vectors.Persist) await store.DeleteAsync(Key(name), CancellationToken.None);
        }
        finally
        {
            persisted.SaveGate.Release();
        }
    }

    public async Task<UpsertResult> UpsertAsync(string name, UpsertRequest request, CancellationToken cancellationToken)
    {
        var persisted = Find(name);
        var index = persisted.Index;
        var items = Validate(request, index.Params);
        var (added, updated, sequence, count) = await index.WriteAsync(() =>
        {
            var (a, u) = index.Upsert(items);
            return (a, u, index.ChangeSequence, index.Count);
        }, cancellationToken);
        await SaveAsync(persisted, sequence, CancellationToken.None);
        return new UpsertResult(added, updated, count);
    }

    public ItemResponse GetItem(string name, string id)
    {
        var found = Find(name).Index.Get(id) ?? throw ProblemException.NotFound($"Item '{id}' is not in index '{name}'.");
        return new ItemResponse(id, found.Vector, Parse(found.Metadata));
    }

    public async Task DeleteItemAsync(string name, string id, CancellationToken cancellationToken)
    {
        var persisted = Find(name);
        var index = persisted.Index;
        var (deleted, sequence) = await index.WriteAsync(() => (index.Delete(id), index.ChangeSequence), cancellationToken);
        if (!deleted) throw ProblemException.NotFound($"Item '{id}' is not in index '{name}'.");
        await SaveAsync(persisted, sequence, CancellationToken.None);
    }

    public SearchResponse Search(string name, SearchRequest request)
    {
        var index = Find(name).Index;
        var k = request.K ?? 10;
        if (k is < 1 or > MaxK) throw ProblemException.BadRequest($"k must be from 1 to {MaxK}.");
        if (request.Ef is < 1 or > 10_000) throw ProblemException.BadRequest("ef must be from 1 to 10000.");
        var query = CheckVector(request.Vector, index.Params, "vector");
        var clock = Stopwatch.StartNew();
        var filter = request.Filter is { ValueKind: not JsonValueKind.Null } json ? VectorFilter.Parse(json) : null;
        var hits = index.Search(query, k, request.Ef ?? index.Params.EfSearch, filter);
        _searchLatency.Record(clock.Elapsed.TotalMilliseconds);
        return new SearchResponse([.. hits.Select(h => new SearchHit(h.Id, h.Distance, Parse(h.Metadata)))]);
    }

    /// <summary>Stores a snapshot that includes change <paramref name="sequence"/>, unless a save since already has.</summary>
    async Task SaveAsync(Persisted persisted, long sequence, CancellationToken cancellationToken)
    {
        if (!config.Vectors.Persist) return;
        await persisted.SaveGate.WaitAsync(cancellationToken);
        var name = persisted.Index.Params.Name;
        try
        {
            if (persisted.Abandoned) throw NotStored(name, null); // the save that would have covered us failed
            if (persisted.SavedSequence >= sequence) return; // a save that ran while we waited covered us
            if (!_indexes.TryGetValue(name, out var current) || current != persisted) return; // deleted meanwhile
            var temp = Path.Combine(Path.GetTempPath(), $"lakehouse-{Guid.NewGuid():N}.lhv1");
            try
            {
                var snapshot = await persisted.Index.WriteAsync(() =>
                {
                    Lhv1Format.Write(persisted.Index, temp);
                    return persisted.Index.ChangeSequence;
                }, cancellationToken);
                await store.PutFileAsync(Key(name), temp, cancellationToken);
                persisted.SavedSequence = snapshot;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                persisted.Abandoned = true;
                _ = RestoreFromStorageAsync(persisted);
                throw NotStored(name, e);
            }
            finally
            {
                File.Delete(temp);
            }
        }
        finally
        {
            persisted.SaveGate.Release();
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
                await using var local = await LocalFile.OpenAsync(store, Key(name), CancellationToken.None);
                if (local is null)
                {
                    _indexes.TryRemove(KeyValuePair.Create(name, abandoned));
                    return;
                }
                var index = await Task.Run(() => Lhv1Format.Read(local.Path));
                _indexes.TryUpdate(name, new Persisted(index) { SavedSequence = index.ChangeSequence }, abandoned);
                logger.LogWarning("Vector index {Name} was read back from storage after a failed write ({Count} items)", name, index.Count);
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
            if (item.Id is not { Length: >= 1 and <= 256 } id) throw ProblemException.BadRequest($"items[{i}].id must be 1 to 256 characters.");
            if (!seen.Add(id)) throw ProblemException.BadRequest($"items[{i}] repeats id '{id}' within the batch.");
            valid.Add(new VectorItem(id, CheckVector(item.Vector, parameters, $"items[{i}] ('{id}').vector"), VectorIndex.MetadataText(item.Metadata, i)));
        }
        return valid;
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

    static string Key(string name) => $"{Prefix}{name}.lhv1";
}
