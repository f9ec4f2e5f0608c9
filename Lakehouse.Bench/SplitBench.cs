using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Lakehouse.Tools;

namespace Lakehouse.Bench;

/// <summary>
/// The ingest and query workloads on one process against the same on three processes over loopback
/// (storage+catalog | ingest | query+vectors), started side by side and measured in turns in the same
/// run: a large ingest, a small file's append, a group-by's round trip and 100,000 rows as JSON. In
/// the split the ingest stores its Parquet file through the storage process and commits through the
/// catalog's API, and the query process reads Parquet from its cache after the change feed told it.
/// </summary>
public static class SplitBench
{
    const string Workload = "split";
    const string GroupBy = "SELECT state, count(*) AS workers, avg(hourly_rate) AS rate FROM workers GROUP BY state ORDER BY state";

    public static async Task RunAsync(BenchOptions options)
    {
        var rows = options.Quick ? 50_000 : 500_000;
        var csv = WorkersCsv.Ensure(rows);
        var rounds = options.Quick ? 2 : 3;
        var settings = new Dictionary<string, string> { ["LAKEHOUSE__INGEST__MAX_INGEST_BYTES"] = "1073741824", ["DOTNET_ENVIRONMENT"] = "Production" };
        var oneRoot = Directory.CreateTempSubdirectory("lakehouse-bench-one-").FullName;
        var splitRoot = Directory.CreateTempSubdirectory("lakehouse-bench-split-").FullName;
        try
        {
            await using var one = await SplitDeployment.StartAsync(Shape.One, new() { ["storage:root"] = Path.Combine(oneRoot, "data") }, oneRoot, settings);
            await using var split = await SplitDeployment.StartAsync(Shape.Three, new() { ["storage:root"] = Path.Combine(splitRoot, "data") }, splitRoot, settings);
            var shapes = new[] { ("one_process", one), ("three_processes", split) };
            var ingest = new Dictionary<string, double>();
            var small = new Dictionary<string, double>();
            var groupBy = new Dictionary<string, double>();
            var json = new Dictionary<string, double>();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var (name, lakehouse) in shapes)
                {
                    var clock = Stopwatch.StartNew();
                    await IngestAsync(lakehouse.For("ingest"), csv);
                    ingest[name] = Math.Min(ingest.GetValueOrDefault(name, double.MaxValue), clock.Elapsed.TotalSeconds);
                    Report.Progress($"{name}: {rows:N0} rows ingested in {clock.Elapsed.TotalSeconds:F2} s");
                }
            }
            // Each pair of figures is taken in turns, one shape then the other, so the machine's drift hits both alike.
            var (oneQuery, splitQuery) = (one.For("query"), split.For("query"));
            (small["one_process"], small["three_processes"]) = await Timing.PairedMediansAsync(30, () => SmallAppendAsync(one.For("ingest")), () => SmallAppendAsync(split.For("ingest")), warmUps: 5);
            (groupBy["one_process"], groupBy["three_processes"]) = await Timing.PairedMediansAsync(options.Quick ? 20 : 100, () => Timing.SqlAsync(oneQuery, GroupBy), () => Timing.SqlAsync(splitQuery, GroupBy));
            const string Select = "SELECT * FROM workers LIMIT 100000";
            var (oneJson, splitJson) = await Timing.PairedMediansAsync(5, () => Timing.SqlAsync(oneQuery, Select), () => Timing.SqlAsync(splitQuery, Select), warmUps: 3);
            (json["one_process"], json["three_processes"]) = (100_000 / oneJson * 1000, 100_000 / splitJson * 1000);
            Report.Figure(Workload, $"ingest_{rows / 1000}k_rows_s", ingest["three_processes"], "one_process_s", ingest["one_process"], lowerIsBetter: true);
            Report.Figure(Workload, "small_file_append_p50_ms", small["three_processes"], "one_process_ms", small["one_process"], lowerIsBetter: true);
            Report.Figure(Workload, "group_by_ms", groupBy["three_processes"], "one_process_ms", groupBy["one_process"], lowerIsBetter: true);
            Report.Figure(Workload, "json_rows_s", json["three_processes"], "one_process_rows_s", json["one_process"]);
        }
        finally
        {
            Directory.Delete(oneRoot, recursive: true);
            Directory.Delete(splitRoot, recursive: true);
        }
    }

    static async Task IngestAsync(HttpClient http, string csv)
    {
        var content = new StreamContent(File.OpenRead(csv), 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var response = await http.PostAsync("/v1/ingest/workers?mode=replace", content);
        response.EnsureSuccessStatusCode();
    }

    static readonly string SmallCsv = MakeSmallCsv();

    /// <summary>A 10 KB CSV: where a remote commit's round trips show most.</summary>
    static string MakeSmallCsv()
    {
        var csv = new System.Text.StringBuilder("id,name,amount\n");
        while (csv.Length < 10_000) csv.Append(csv.Length).Append(",name").Append(csv.Length % 97).Append(',').Append(csv.Length / 7.0).Append('\n');
        return csv.ToString();
    }

    static async Task SmallAppendAsync(HttpClient http)
    {
        using var response = await http.PostAsync("/v1/ingest/small_files?mode=append", new StringContent(SmallCsv, System.Text.Encoding.UTF8, "text/csv"));
        response.EnsureSuccessStatusCode();
    }
}
