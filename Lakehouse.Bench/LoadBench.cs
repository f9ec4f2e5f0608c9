using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Lakehouse.Bench;

/// <summary>
/// A bounded loopback load test: 32 clients for 60 s (20 s quick) on one host, each picking at random
/// a group-by over a 500k-row dataset, a vector search in a 20k × 64 index, or a small append to a
/// second dataset. Reports each operation's rate and p50/p99 latency, the errors (must be 0), and
/// checks afterwards that the appended rows and the vectors are exactly what was acknowledged. The
/// anchor for a search's p99 is its p50 with no load beside it: how long a 0.1 ms search waits
/// behind the queries is the figure this measures.
/// </summary>
public static class LoadBench
{
    const string Workload = "load";
    const int Clients = 32;
    const int Dim = 64;

    public static async Task RunAsync(BenchOptions options)
    {
        var seconds = options.Quick ? 20 : 60;
        var csv = WorkersCsv.Ensure(options.Quick ? 100_000 : 500_000);
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string> { ["LAKEHOUSE__INGEST__MAX_INGEST_BYTES"] = "1073741824" });
        using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.ConnectionClose = false;
        var content = new StreamContent(File.OpenRead(csv), 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        (await http.PostAsync("/v1/ingest/workers", content)).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/v1/vectors/indexes", new { name = "load", dim = Dim, metric = "l2" })).EnsureSuccessStatusCode();
        var random = new Random(64);
        float[] Vector() => [.. Enumerable.Range(0, Dim).Select(_ => random.NextSingle())];
        for (var batch = 0; batch < 20; batch++)
        {
            var items = Enumerable.Range(batch * 1000, 1000).Select(i => new { id = $"v{i}", vector = Vector() }).ToList();
            (await http.PostAsJsonAsync("/v1/vectors/indexes/load/items", new { items })).EnsureSuccessStatusCode();
        }
        var queries = Enumerable.Range(0, 200).Select(_ => Vector()).ToArray();
        Report.Progress("loaded: 500k rows, 20k vectors");

        // A search alone, for the anchor.
        var alone = new List<double>();
        for (var i = 0; i < 200; i++) alone.Add(await TimedAsync(() => SearchAsync(http, queries[i % queries.Length])));

        var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        var errors = new ConcurrentBag<string>();
        var appended = 0L;
        var nextRow = 0L;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var clock = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var own = new Random(client);
            Task<HttpResponseMessage> GroupBy() => http.PostAsJsonAsync("/v1/sql", new { sql = "SELECT state, count(*), avg(hourly_rate) FROM workers GROUP BY state" });
            Task<HttpResponseMessage> Search() => SearchAsync(http, queries[own.Next(queries.Length)]);
            Task<HttpResponseMessage> Append()
            {
                var rows = new StringBuilder("id,client\n");
                for (var i = 0; i < 10; i++) rows.Append(Interlocked.Increment(ref nextRow)).Append(',').Append(client).Append('\n');
                return http.PostAsync("/v1/ingest/appended?mode=append", new StringContent(rows.ToString(), Encoding.UTF8, "text/csv"));
            }
            while (!stop.IsCancellationRequested)
            {
                var (name, work) = own.Next(3) switch
                {
                    0 => ("group_by", (Func<Task<HttpResponseMessage>>)GroupBy),
                    1 => ("search", Search),
                    _ => ("append", Append),
                };
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await work();
                    await response.Content.CopyToAsync(Stream.Null);
                    if (!response.IsSuccessStatusCode) errors.Add($"{name}: {(int)response.StatusCode}");
                    else if (name == "append") Interlocked.Add(ref appended, 10);
                }
                catch (HttpRequestException e)
                {
                    errors.Add($"{name}: {e.Message}");
                }
                latencies.GetOrAdd(name, _ => []).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })).ToList();
        await Task.WhenAll(clients);
        var elapsed = clock.Elapsed.TotalSeconds;

        foreach (var (name, values) in latencies.OrderBy(l => l.Key))
        {
            var sorted = values.Order().ToList();
            Report.Figure(Workload, $"{name}_per_s", sorted.Count / elapsed);
            Report.Figure(Workload, $"{name}_p50_ms", Percentile(sorted, 0.50), lowerIsBetter: true);
            Report.Figure(Workload, $"{name}_p99_ms", Percentile(sorted, 0.99),
                name == "search" ? "search_alone_p50_ms" : null, name == "search" ? Percentile([.. alone.Order()], 0.5) : null, lowerIsBetter: true);
        }
        Report.Figure(Workload, "errors", errors.Count, "limit", 0, lowerIsBetter: true);
        foreach (var error in errors.Distinct().Take(10)) Report.Progress("error: " + error);

        var count = (await http.PostAsJsonAsync("/v1/sql", new { sql = "SELECT count(*), count(DISTINCT id) FROM appended" })).Content;
        var row = JsonDocument.Parse(await count.ReadAsStringAsync()).RootElement.GetProperty("rows")[0];
        Report.Figure(Workload, "appended_rows_found", row[1].GetInt64(), "appended_rows_acknowledged", appended);
        var vectors = JsonDocument.Parse(await http.GetStringAsync("/v1/vectors/indexes/load")).RootElement.GetProperty("count").GetInt32();
        Report.Figure(Workload, "vectors_found", vectors, "vectors_stored", 20_000);
    }

    static Task<HttpResponseMessage> SearchAsync(HttpClient http, float[] vector) =>
        http.PostAsJsonAsync("/v1/vectors/indexes/load/search", new { vector, k = 10 });

    static async Task<double> TimedAsync(Func<Task<HttpResponseMessage>> work)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await work();
        response.EnsureSuccessStatusCode();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}
