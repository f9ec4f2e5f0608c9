using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lakehouse.Tools;

namespace Lakehouse.Bench;

/// <summary>
/// A team loading embeddings in batches of 1,000 × 128 through the REST API, on the filesystem and on
/// S3 (s3rver): the p50 of a batch at 1M vectors against the same batch at 10k; the bytes the host
/// stores (the lakehouse_vectors_stored_bytes_total metric: deltas and folds) while loading 100k,
/// against the raw vectors; and an index's load at restart with deltas up to the fold threshold,
/// against the load of its snapshot alone (the host's own "Loaded vector index" timing).
/// </summary>
public static partial class VectorLogBench
{
    const string Workload = "vectorlog";
    const int Dim = 128;
    const int Batch = 1000;
    const double FoldRatio = 0.15; // the default vectors.fold_ratio
    const long FoldMinBytes = 64L << 20; // the default vectors.fold_min_bytes

    static readonly Dictionary<string, string> NoFolds = new()
    {
        ["LAKEHOUSE__VECTORS__FOLD_MIN_BYTES"] = "1000000000000000",
        ["LAKEHOUSE__VECTORS__FOLD_MAX_DELTAS"] = "1000000000",
    };

    public static async Task RunAsync(BenchOptions options)
    {
        var large = options.Quick ? 200_000 : 1_000_000;
        GraphOnly(large);
        await RunBackendAsync("fs", [], large);
        var repo = StorageBench.FindRepoRoot();
        await using var s3 = await S3rverProcess.StartAsync(repo);
        await RunBackendAsync("s3", new Dictionary<string, string>
        {
            ["LAKEHOUSE__STORAGE__BACKEND"] = "s3",
            ["LAKEHOUSE__S3__ENDPOINT"] = s3.Endpoint,
            ["LAKEHOUSE__S3__BUCKET"] = "vectorlog",
            ["LAKEHOUSE__S3__ACCESS_KEY_ID"] = S3rverProcess.AccessKey,
            ["LAKEHOUSE__S3__SECRET_ACCESS_KEY"] = S3rverProcess.SecretKey,
        }, large);
    }

    static async Task RunBackendAsync(string backend, Dictionary<string, string> environment, int large)
    {
        var root = Directory.CreateTempSubdirectory("lakehouse-vectorlog-").FullName;
        environment["LAKEHOUSE__STORAGE__ROOT"] = Path.Combine(root, "data");
        environment["DOTNET_ENVIRONMENT"] = "Production";
        var data = new Vectors(7);
        try
        {
            double at10k, atLarge;
            await using (var host = await HostChildProcess.StartAsync(environment, root))
            {
                using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(10) };
                var created = await http.PostAsJsonAsync("/v1/vectors/indexes", new { name = "bench", dim = Dim, metric = "l2" });
                if (!created.IsSuccessStatusCode) throw new InvalidOperationException($"create: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
                var latencies = new List<double>();
                for (var i = 0; i < 100; i++) latencies.Add(await UpsertAsync(http, data, Batch));
                at10k = Timing.Median(latencies.Skip(10).Take(10)); // batches into an index of 10k-19k
                await UntilFoldsSettleAsync(http);
                var stored = await StoredBytesAsync(http);
                Report.Figure(Workload, $"{backend}_stored_bytes_loading_100k", stored, "raw_vector_bytes", 100_000.0 * Dim * sizeof(float), lowerIsBetter: true);
                Report.Progress($"{backend}: 100k loaded, {stored / 1048576.0:F0} MiB stored; growing to {large:N0}");
                while (data.Count < large) await UpsertAsync(http, data, Math.Min(10_000, large - data.Count));
                latencies.Clear();
                for (var i = 0; i < 11; i++) latencies.Add(await UpsertAsync(http, data, Batch));
                atLarge = Timing.Median(latencies.Skip(1));
                Report.Figure(Workload, $"{backend}_batch_at_{large / 1000}k_ms", atLarge, "batch_at_10k_ms", at10k, lowerIsBetter: true);
            }

            // Deltas up to the fold threshold (folds off while they are added), then the same index folded.
            await using (var host = await HostChildProcess.StartAsync(With(environment, NoFolds), root))
            {
                var (snapshot, deltas) = await StoredSizesAsync(host.Client);
                while (deltas < Math.Max(FoldMinBytes, FoldRatio * snapshot) - (2.0 * snapshot / data.Count * Batch))
                {
                    await UpsertAsync(host.Client, data, Batch);
                    deltas = (await StoredSizesAsync(host.Client)).Deltas;
                }
                Report.Progress($"{backend}: snapshot {snapshot / 1048576.0:F0} MiB, deltas {deltas / 1048576.0:F0} MiB");
            }
            var withDeltas = await LoadTimeAsync(With(environment, NoFolds), root);
            await using (var host = await HostChildProcess.StartAsync(With(environment, new() { ["LAKEHOUSE__VECTORS__FOLD_MAX_DELTAS"] = "1" }), root))
            {
                await UntilFoldsSettleAsync(host.Client);
            }
            var snapshotAlone = await LoadTimeAsync(With(environment, NoFolds), root);
            Report.Figure(Workload, $"{backend}_load_at_{large / 1000}k_with_deltas_ms", withDeltas, "snapshot_alone_ms", snapshotAlone, lowerIsBetter: true);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// The same batches into the graph alone, in this process (no HTTP, JSON or storage): what a batch
    /// costs the HNSW itself at 10k and at the large size, recorded as a delta and not.
    /// </summary>
    static void GraphOnly(int large)
    {
        var index = new Lakehouse.Vectors.VectorIndex(new Lakehouse.Vectors.IndexParams("graph", Dim, Lakehouse.Vectors.Hnsw.Metric.L2, 16, 200, 64));
        var data = new Vectors(7);
        List<Lakehouse.Vectors.VectorItem> Next(int count) => [.. data.Next(count).Select(i => new Lakehouse.Vectors.VectorItem(i.Id, i.Vector, null))];
        (double Plain, double Logged) Measure()
        {
            var plain = Timing.Median(5, () => index.Upsert(Next(Batch)), warmUps: 0);
            var logged = Timing.Median(5, () => Lakehouse.Vectors.Log.DeltaFormat.Write(index.UpsertLogged(Next(Batch)).Delta, index.Params), warmUps: 0);
            return (plain, logged);
        }
        index.Upsert(Next(10_000));
        var small = Measure();
        while (data.Count < large) index.Upsert(Next(Math.Min(50_000, large - data.Count)));
        var big = Measure();
        Report.Figure(Workload, $"graph_batch_at_{large / 1000}k_ms", big.Plain, "graph_batch_at_10k_ms", small.Plain, lowerIsBetter: true);
        Report.Figure(Workload, $"graph_batch_with_delta_at_{large / 1000}k_ms", big.Logged, $"graph_batch_at_{large / 1000}k_ms", big.Plain, lowerIsBetter: true);

        // Reading the snapshot, against reading it and replaying deltas of fold_ratio (0.15) of its size.
        var path = Path.Combine(Path.GetTempPath(), $"lakehouse-vectorlog-{Guid.NewGuid():N}.lhv1");
        try
        {
            Lakehouse.Vectors.Lhv1.Lhv1Format.Write(index, path);
            var deltas = new List<byte[]>();
            while (deltas.Sum(d => (long)d.Length) < FoldRatio * new FileInfo(path).Length) deltas.Add(Lakehouse.Vectors.Log.DeltaFormat.Write(index.UpsertLogged(Next(Batch)).Delta, index.Params));
            var snapshotAlone = Timing.Median(3, () => Lakehouse.Vectors.Lhv1.Lhv1Format.Read(path));
            var withDeltas = Timing.Median(3, () =>
            {
                var loaded = Lakehouse.Vectors.Lhv1.Lhv1Format.Read(path);
                foreach (var delta in deltas) loaded.Apply(Lakehouse.Vectors.Log.DeltaFormat.Read(delta, loaded.Params, loaded.Incarnation));
                loaded.RebuildFreeSlots();
            });
            Report.Figure(Workload, $"graph_load_at_{large / 1000}k_with_deltas_ms", withDeltas, "snapshot_alone_ms", snapshotAlone, lowerIsBetter: true);
        }
        finally
        {
            File.Delete(path);
        }
    }

    static Dictionary<string, string> With(Dictionary<string, string> environment, Dictionary<string, string> more) =>
        environment.Concat(more).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    /// <summary>Starts the host and reads how long it took to load the index (its own log line), median of three starts.</summary>
    static async Task<double> LoadTimeAsync(Dictionary<string, string> environment, string root)
    {
        var times = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            double? elapsed = null;
            await using var host = await HostChildProcess.StartAsync(environment, root, line =>
            {
                if (LoadedLine().Match(line) is { Success: true } match) elapsed = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            });
            // /health can answer before the log line has come through the pipe: wait for it.
            for (var waited = Stopwatch.StartNew(); elapsed is null && waited.Elapsed < TimeSpan.FromSeconds(30);) await Task.Delay(20);
            times.Add(elapsed ?? throw new InvalidOperationException("the host did not log its index load"));
        }
        return Timing.Median(times);
    }

    [GeneratedRegex(@"Loaded vector index bench .* in (\d+) ms")]
    private static partial Regex LoadedLine();

    static async Task<double> UpsertAsync(HttpClient http, Vectors data, int count)
    {
        var items = data.Next(count);
        using var content = JsonContent.Create(new { items = items.Select(i => new { id = i.Id, vector = i.Vector }) });
        await content.LoadIntoBufferAsync();
        var clock = Stopwatch.StartNew();
        var response = await http.PostAsync("/v1/vectors/indexes/bench/items", content);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"upsert: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return elapsed;
    }

    /// <summary>Waits for a running fold to finish: the deltas stop changing in number for a second.</summary>
    static async Task UntilFoldsSettleAsync(HttpClient http)
    {
        var last = -1L;
        for (var stable = 0; stable < 10;)
        {
            var (_, deltas) = await StoredSizesAsync(http);
            stable = deltas == last ? stable + 1 : 0;
            last = deltas;
            await Task.Delay(100);
        }
    }

    static async Task<(long Snapshot, long Deltas)> StoredSizesAsync(HttpClient http)
    {
        var page = await http.GetFromJsonAsync<JsonElement>("/v1/storage/objects?prefix=_vectors/bench.&limit=10000");
        long snapshot = 0, deltas = 0;
        foreach (var o in page.GetProperty("objects").EnumerateArray())
        {
            var key = o.GetProperty("key").GetString()!;
            var size = o.GetProperty("size").GetInt64();
            if (key.EndsWith(".lhv1", StringComparison.Ordinal)) snapshot = size;
            else if (key.EndsWith(".lhvd", StringComparison.Ordinal)) deltas += size;
        }
        return (snapshot, deltas);
    }

    static async Task<double> StoredBytesAsync(HttpClient http)
    {
        var text = await http.GetStringAsync("/metrics");
        return StoredLine().Matches(text).Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^lakehouse_vectors_stored_bytes_total\{[^}]*\} ([0-9.e+]+)", RegexOptions.Multiline)]
    private static partial Regex StoredLine();

    /// <summary>Clustered 128-d vectors (100 Gaussian clusters), as VectorsBench draws them, numbered as they are handed out.</summary>
    sealed class Vectors(int seed)
    {
        readonly Random _random = new(seed);
        float[][]? _centres;

        public int Count { get; private set; }

        public List<(string Id, float[] Vector)> Next(int count)
        {
            _centres ??= [.. Enumerable.Range(0, 100).Select(_ => Enumerable.Range(0, Dim).Select(_ => (float)(_random.NextDouble() * 20 - 10)).ToArray())];
            var items = new List<(string, float[])>(count);
            for (var i = 0; i < count; i++)
            {
                var centre = _centres[_random.Next(_centres.Length)];
                items.Add(($"v{Count++}", [.. centre.Select(c => c + (float)Gaussian())]));
            }
            return items;
        }

        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
    }
}
