using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Lakehouse.Bench;

/// <summary>
/// What Iceberg metadata costs: the workers ingest and a small file's append on a host that writes it
/// against one with [iceberg] enabled = false, timed in turns in the same run; then loading a table's
/// metadata over the REST catalog once the dataset has 100 versions.
/// </summary>
public static class IcebergBench
{
    const string Workload = "iceberg";

    public static async Task RunAsync(BenchOptions options)
    {
        var csv = WorkersCsv.Ensure(options.Quick ? 50_000 : 500_000);
        var settings = new Dictionary<string, string> { ["LAKEHOUSE__INGEST__MAX_INGEST_BYTES"] = "1073741824", ["LAKEHOUSE__CATALOG__COMPACT_MIN_FILES"] = "0" };
        await using var with = await HostProcess.StartAsync(settings);
        await using var without = await HostProcess.StartAsync(new Dictionary<string, string>(settings) { ["LAKEHOUSE__ICEBERG__ENABLED"] = "false" });
        using var withHttp = new HttpClient { BaseAddress = with.Address, Timeout = TimeSpan.FromMinutes(10) };
        using var withoutHttp = new HttpClient { BaseAddress = without.Address, Timeout = TimeSpan.FromMinutes(10) };

        var (best, bestWithout) = (double.MaxValue, double.MaxValue);
        for (var round = 0; round < (options.Quick ? 2 : 3); round++)
        {
            best = Math.Min(best, await IngestSecondsAsync(withHttp, csv));
            bestWithout = Math.Min(bestWithout, await IngestSecondsAsync(withoutHttp, csv));
        }
        Report.Figure(Workload, "ingest_s", best, "without_iceberg_s", bestWithout, lowerIsBetter: true);

        var small = "id,name,amount\n" + string.Concat(Enumerable.Range(0, 300).Select(i => $"{i},name{i},{i * 1.5}\n"));
        var (p50, p50Without) = await Timing.PairedMediansAsync(100, () => AppendAsync(withHttp, small), () => AppendAsync(withoutHttp, small), warmUps: 5);
        Report.Figure(Workload, "small_append_p50_ms", p50, "without_iceberg_ms", p50Without, lowerIsBetter: true);
        Report.Figure(Workload, "small_append_added_ms", p50 - p50Without, "budget_ms", 10, lowerIsBetter: true);

        // The appended dataset now has 106 versions: load its table as an engine would.
        var load = await Timing.MedianAsync(20, async () =>
        {
            using var response = await withHttp.GetAsync("/iceberg/v1/namespaces/default/tables/small");
            response.EnsureSuccessStatusCode();
            await response.Content.CopyToAsync(Stream.Null);
        }, warmUps: 3);
        Report.Figure(Workload, "load_table_100_versions_ms", load, "budget_ms", 20, lowerIsBetter: true);
    }

    static async Task<double> IngestSecondsAsync(HttpClient http, string csv)
    {
        var content = new StreamContent(File.OpenRead(csv), 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        var clock = Stopwatch.StartNew();
        using var response = await http.PostAsync("/v1/ingest/workers?mode=replace", content);
        response.EnsureSuccessStatusCode();
        return clock.Elapsed.TotalSeconds;
    }

    static async Task AppendAsync(HttpClient http, string csv)
    {
        using var response = await http.PostAsync("/v1/ingest/small?mode=append", new StringContent(csv, Encoding.UTF8, "text/csv"));
        response.EnsureSuccessStatusCode();
    }
}
