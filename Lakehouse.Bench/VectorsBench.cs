using System.Diagnostics;
using DuckDB.NET.Data;
using Lakehouse.Vectors;
using Lakehouse.Vectors.Hnsw;
using Lakehouse.Vectors.Lhv1;

namespace Lakehouse.Bench;

/// <summary>
/// Our HNSW on 100,000 clustered 128-d vectors (100 Gaussian clusters), M=16, ef_construction=200:
/// build rate on all cores, recall@10 against exact brute force (computed in this run, which is
/// also the speed anchor at recall 1.0), single-thread queries/s at recall ≥ 0.95, memory per
/// vector against the raw floats + links, filtered search at 50%, 10% and 1% selectivity, and LHV1 save/load. hnswlib runs on the same data in the
/// same run as a peer process (tools/hnswlib-bench); docs/dependencies.md's figures stand in if it cannot.
/// </summary>
public static class VectorsBench
{
    const string Workload = "vectors";
    const int Dim = 128;
    const double HnswlibBuildPerSecond = 6750;     // docs/dependencies.md, one thread
    const double HnswlibQpsAtRecall095 = 12000;    // docs/dependencies.md, ef=40, one thread

    public static async Task RunAsync(BenchOptions options)
    {
        var count = options.Quick ? 20_000 : 100_000;
        var queryCount = options.Quick ? 200 : 1000;
        var random = new Random(42);
        var centres = Enumerable.Range(0, 100).Select(_ => Enumerable.Range(0, Dim).Select(_ => (float)(random.NextDouble() * 20 - 10)).ToArray()).ToArray();
        float[] Sample() => [.. centres[random.Next(centres.Length)].Select(c => c + (float)Gaussian(random))];
        var data = Enumerable.Range(0, count).Select(_ => Sample()).ToArray();
        var queries = Enumerable.Range(0, queryCount).Select(_ => Sample()).ToArray();

        Report.Progress($"exact top-10 for {queryCount} queries over {count:N0} vectors");
        var clock = Stopwatch.StartNew();
        var truth = queries.Select(q => Exact(data, q, 10)).ToArray();
        var bruteQps = queryCount / clock.Elapsed.TotalSeconds;

        var hnswlib = await HnswlibPeer.RunAsync(data, queries, truth);
        var hnswlibBuild = hnswlib?.BuildVectorsPerSecond ?? HnswlibBuildPerSecond;
        var hnswlibQps = hnswlib?.ByEf.Values.FirstOrDefault(r => r.Recall >= 0.95).Qps ?? HnswlibQpsAtRecall095;
        if (hnswlib is not null) Report.Progress("hnswlib recall/qps by ef: " + string.Join(", ", hnswlib.ByEf.Select(p => $"{p.Key}: {p.Value.Recall:F3}/{p.Value.Qps:F0}")));

        Report.Progress("building");
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var index = new VectorIndex(new IndexParams("bench", Dim, Metric.L2, 16, 200, 64));
        clock.Restart();
        index.Upsert([.. data.Select((v, i) => new VectorItem($"v{i}", v, null))]);
        var buildRate = count / clock.Elapsed.TotalSeconds;
        var bytesPerVector = (GC.GetTotalMemory(forceFullCollection: true) - before) / (double)count;
        Report.Figure(Workload, "build_vectors_per_s", buildRate, "hnswlib_one_thread", hnswlibBuild);

        Report.Figure(Workload, "recall_at_10_default_ef", Recall(index, queries, truth, 64), "target", 0.95);
        Report.Figure(Workload, "recall_at_10_ef80", Recall(index, queries, truth, 80), "target", 0.99);
        var ef = new[] { 10, 16, 20, 24, 32, 40, 48, 64, 80, 100, 128, 160, 200 }.First(e => Recall(index, queries, truth, e) >= 0.95);
        clock.Restart();
        var rounds = 0;
        while (clock.Elapsed.TotalSeconds < 3)
        {
            foreach (var query in queries) index.Search(query, 10, ef);
            rounds++;
        }
        var qps = rounds * queryCount / clock.Elapsed.TotalSeconds;
        Report.Figure(Workload, "qps_at_recall_095", qps, "hnswlib", hnswlibQps);
        Report.Figure(Workload, "qps_at_recall_095_vs_brute_force", qps, "brute_force_qps", bruteQps);
        Report.Progress($"recall 0.95 reached at ef={ef}");
        Report.Figure(Workload, "bytes_per_vector", bytesPerVector, "raw_floats_plus_links", (Dim * 4) + (2 * 16 * 4), lowerIsBetter: true);

        Filtered(data, queries, options.Quick ? 1 : 2);

        var path = Path.Combine(Path.GetTempPath(), "lakehouse-bench.lhv1");
        clock.Restart();
        Lhv1Format.Write(index, path);
        Report.Figure(Workload, "lhv1_save_s", clock.Elapsed.TotalSeconds, "limit_s", 2, lowerIsBetter: true);
        clock.Restart();
        var loaded = Lhv1Format.Read(path);
        Report.Figure(Workload, "lhv1_load_s", clock.Elapsed.TotalSeconds, "limit_s", 2, lowerIsBetter: true);
        Report.Progress($"LHV1 file {new FileInfo(path).Length / 1048576.0:F1} MiB, {loaded.Count:N0} items");
        File.Delete(path);
    }

    /// <summary>
    /// Filtered search (metadata {"bucket": i % 100}) at 50%, 10% and 1% selectivity, default ef: recall@10
    /// against the exact top 10 of the items that pass, and queries/s against the unfiltered search
    /// (50%, 10%) and against brute force over the passing items (1%).
    /// </summary>
    static void Filtered(float[][] data, float[][] queries, double seconds)
    {
        var index = new VectorIndex(new IndexParams("filtered", Dim, Metric.L2, 16, 200, 64));
        index.Upsert([.. data.Select((v, i) => new VectorItem($"v{i}", v, $"{{\"bucket\":{i % 100}}}"))]);
        double Qps(Action<float[]> search)
        {
            var clock = Stopwatch.StartNew();
            var done = 0;
            while (clock.Elapsed.TotalSeconds < seconds) search(queries[done++ % queries.Length]);
            return done / clock.Elapsed.TotalSeconds;
        }
        var unfiltered = Qps(q => index.Search(q, 10, 64));
        foreach (var percent in new[] { 50, 10, 1 })
        {
            using var json = System.Text.Json.JsonDocument.Parse($$$"""{"must":[{"key":"bucket","range":{"lt":{{{percent}}}}}]}""");
            var filter = VectorFilter.Parse(json.RootElement);
            var passing = Enumerable.Range(0, data.Length).Where(i => i % 100 < percent).ToArray();
            int[] Truth(float[] q) => [.. passing.OrderBy(i => Distances.SquaredL2(q, data[i])).Take(10)];
            double hits = 0;
            foreach (var q in queries)
            {
                var expected = Truth(q).Select(i => $"v{i}").ToHashSet();
                hits += index.Search(q, 10, 64, filter).Count(h => expected.Contains(h.Id));
            }
            Report.Figure(Workload, $"filtered_{percent}pct_recall_at_10", hits / (queries.Length * 10.0), "target", 0.95);
            var qps = Qps(q => index.Search(q, 10, 64, filter));
            if (percent > 1) Report.Figure(Workload, $"filtered_{percent}pct_qps", qps, "unfiltered_qps", unfiltered);
            else Report.Figure(Workload, "filtered_1pct_qps", qps, "brute_force_over_passing_qps", Qps(q => Truth(q)));
        }
        NewFilterEachQuery(index, data, queries, Qps);
        SearchAfterWrites(index, data, queries);
    }

    /// <summary>
    /// A 1% filter that differs from query to query ({"bucket": b}, b cycling through all 100 buckets, so
    /// no filter's set of passing items is still kept when it comes round again), against a brute force
    /// that finds the passing items the way a store without a metadata index must, by reading every
    /// item's metadata, then ranks them exactly; against one handed every item's bucket as a ready
    /// column, which only has to compare it; and against DuckDB ranking the rows of a table that pass.
    /// Also checks the answers are the brute force's.
    /// </summary>
    static void NewFilterEachQuery(VectorIndex index, float[][] data, float[][] queries, Func<Action<float[]>, double> qps)
    {
        var filters = Enumerable.Range(0, 100).Select(bucket =>
        {
            using var json = System.Text.Json.JsonDocument.Parse($$$"""{"must":[{"key":"bucket","match":{"value":{{{bucket}}}}}]}""");
            return VectorFilter.Parse(json.RootElement);
        }).ToArray();
        var metadata = data.Select((_, i) => $"{{\"bucket\":{i % 100}}}").ToArray();
        var ids = data.Select((_, i) => $"v{i}").ToArray();
        var next = 0;
        var nextBrute = 0;
        string[] BruteForce(float[] query, VectorFilter filter) =>
            [.. Enumerable.Range(0, data.Length).Where(i => filter.Holds(ids[i], metadata[i])).OrderBy(i => Distances.SquaredL2(query, data[i])).Take(10).Select(i => $"v{i}")];
        for (var q = 0; q < 20; q++)
        {
            var filter = filters[(q * 37) % 100];
            if (!index.Search(queries[q], 10, 64, filter).Select(h => h.Id).SequenceEqual(BruteForce(queries[q], filter))) throw new InvalidOperationException($"query {q}: not the brute force's answer");
        }
        var ours = qps(q => index.Search(q, 10, 64, filters[next++ % 100]));
        var brute = qps(q => BruteForce(q, filters[nextBrute++ % 100]));
        Report.Figure(Workload, "filtered_1pct_new_filter_qps", ours, "brute_force_reading_every_item_qps", brute);
        // A brute force handed the bucket of every item as a ready column, where ours reads JSON metadata.
        var buckets = data.Select((_, i) => i % 100).ToArray();
        var nextColumn = 0;
        var column = qps(q =>
        {
            // A tight loop, not LINQ: the anchor should be as fast as a brute force can be.
            var bucket = nextColumn++ % 100;
            var nearest = new PriorityQueue<int, float>(11, Comparer<float>.Create((a, b) => b.CompareTo(a)));
            for (var i = 0; i < buckets.Length; i++)
            {
                if (buckets[i] != bucket) continue;
                var distance = Distances.SquaredL2(q, data[i]);
                if (nearest.Count < 10) nearest.Enqueue(i, distance);
                else if (nearest.TryPeek(out _, out var farthest) && distance < farthest) nearest.EnqueueDequeue(i, distance);
            }
        });
        Report.Figure(Workload, "filtered_1pct_new_filter_vs_column_qps", ours, "brute_force_over_a_ready_column_qps", column);
        Report.Figure(Workload, "filtered_1pct_new_filter_vs_duckdb_qps", ours, "duckdb_exact_filtered_top10_qps", DuckDbFilteredTopTen(index, data, queries, filters, qps));
    }

    /// <summary>
    /// The brute force a data engineer would write over a table holding the same items:
    /// <c>WHERE bucket = $b ORDER BY array_distance(embedding, $q) LIMIT 10</c> on DuckDB, the vectors
    /// as a FLOAT[128] column of an in-memory table, the statement prepared, one thread (faster here
    /// than two). Checks its answers are ours first.
    /// </summary>
    static double DuckDbFilteredTopTen(VectorIndex index, float[][] data, float[][] queries, VectorFilter[] filters, Func<Action<float[]>, double> qps)
    {
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        using (var create = duck.CreateCommand())
        {
            create.CommandText = $"SET threads = 1; CREATE TABLE items (id VARCHAR, bucket INTEGER, embedding FLOAT[{Dim}])";
            create.ExecuteNonQuery();
        }
        using (var appender = duck.CreateAppender("items"))
        {
            for (var i = 0; i < data.Length; i++) appender.CreateRow().AppendValue($"v{i}").AppendValue(i % 100).AppendValue((IEnumerable<float>)data[i]).EndRow();
        }
        using var search = duck.CreateCommand();
        search.CommandText = $"SELECT id FROM items WHERE bucket = $bucket ORDER BY array_distance(embedding, $query::FLOAT[{Dim}]) LIMIT 10";
        var bucket = new DuckDBParameter("bucket", 0);
        var query = new DuckDBParameter("query", queries[0]);
        search.Parameters.Add(bucket);
        search.Parameters.Add(query);
        search.Prepare();
        List<string> Search(float[] vector, int b)
        {
            bucket.Value = b;
            query.Value = vector;
            var ids = new List<string>(10);
            using var reader = search.ExecuteReader();
            while (reader.Read()) ids.Add(reader.GetString(0));
            return ids;
        }
        for (var q = 0; q < 20; q++)
        {
            var b = (q * 37) % 100;
            if (!index.Search(queries[q], 10, 64, filters[b]).Select(h => h.Id).SequenceEqual(Search(queries[q], b))) throw new InvalidOperationException($"query {q}: not DuckDB's answer");
        }
        var next = 0;
        return qps(q => Search(q, next++ % 100));
    }

    /// <summary>
    /// A live index: a 1% filtered search right after a one-item write, against the same search with no
    /// write before it (medians of 200). The write changes the filter's set of passing items, which is
    /// patched with the written slot rather than judged again over every item's metadata.
    /// </summary>
    static void SearchAfterWrites(VectorIndex index, float[][] data, float[][] queries)
    {
        using var json = System.Text.Json.JsonDocument.Parse("""{"must":[{"key":"bucket","range":{"lt":1}}]}""");
        var filter = VectorFilter.Parse(json.RootElement);
        double Timed(float[] query)
        {
            var clock = Stopwatch.StartNew();
            index.Search(query, 10, 64, filter);
            return clock.Elapsed.TotalMicroseconds;
        }
        var alone = Enumerable.Range(0, 200).Select(i => Timed(queries[i % queries.Length])).Order().ElementAt(100);
        var afterWrite = Enumerable.Range(0, 200).Select(i =>
        {
            // Item i moves to the next bucket: into the filter's 1% or out of it, every so often.
            index.Upsert([new VectorItem($"v{i}", data[i], $"{{\"bucket\":{(i + 1) % 100}}}")]);
            return Timed(queries[i % queries.Length]);
        }).Order().ElementAt(100);
        Report.Figure(Workload, "filtered_1pct_search_after_a_write_us", afterWrite, "filtered_1pct_search_us", alone, lowerIsBetter: true);
    }

    static double Recall(VectorIndex index, float[][] queries, int[][] truth, int ef)
    {
        double hits = 0;
        for (var q = 0; q < queries.Length; q++)
        {
            var expected = truth[q].Select(i => $"v{i}").ToHashSet();
            hits += index.Search(queries[q], 10, ef).Count(h => expected.Contains(h.Id));
        }
        return hits / (queries.Length * 10.0);
    }

    static int[] Exact(float[][] data, float[] query, int k)
    {
        var best = new PriorityQueue<int, float>();
        for (var i = 0; i < data.Length; i++)
        {
            var d = Distances.SquaredL2(query, data[i]);
            if (best.Count < k) best.Enqueue(i, -d);
            else if (best.TryPeek(out _, out var worst) && d < -worst) best.EnqueueDequeue(i, -d);
        }
        var result = new int[best.Count];
        for (var i = result.Length - 1; best.TryDequeue(out var node, out _); i--) result[i] = node;
        return result;
    }

    static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
