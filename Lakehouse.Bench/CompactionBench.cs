using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;

namespace Lakehouse.Bench;

/// <summary>
/// A team that appends a small CSV every few minutes: 400 appends of 250 rows against the same 100,000
/// rows ingested as one file, a group-by over each before and after a compaction; then 1,000 appends
/// with background compaction on (the default), the latency of the 1,000th against the 10th.
/// </summary>
public static class CompactionBench
{
    const string Workload = "compaction";
    const int RowsPerAppend = 250;
    static readonly string[] States = ["ID", "WA", "OR", "CA", "NV", "UT", "MT", "WY", "CO", "AZ"];

    public static async Task RunAsync(BenchOptions options)
    {
        var appends = options.Quick ? 100 : 400;
        await using (var host = await HostProcess.StartAsync(new Dictionary<string, string> { ["LAKEHOUSE__CATALOG__COMPACT_MIN_FILES"] = "0" }))
        {
            using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(10) };
            var all = new StringBuilder("id,state,amount,day\n");
            for (var i = 0; i < appends; i++) all.Append(Rows(i * RowsPerAppend, header: false));
            await PostAsync(http, "one_file", all.ToString());
            for (var i = 0; i < appends; i++) await PostAsync(http, "appended", Rows(i * RowsPerAppend, header: true), append: true);
            Report.Progress($"{appends} appends of {RowsPerAppend} rows done");

            var oneFile = await GroupByMedianAsync(http, "one_file");
            var before = await GroupByMedianAsync(http, "appended");
            var clock = Stopwatch.StartNew();
            (await http.PostAsync("/v1/catalog/datasets/appended/compact", null)).EnsureSuccessStatusCode();
            Report.Progress($"compacted {appends} files in {clock.ElapsedMilliseconds} ms");
            var after = await GroupByMedianAsync(http, "appended");
            Report.Figure(Workload, $"group_by_{appends}_appends_ms", before, "one_file_ms", oneFile, lowerIsBetter: true);
            Report.Figure(Workload, "group_by_after_compaction_ms", after, "one_file_ms", oneFile, lowerIsBetter: true);
        }

        var total = options.Quick ? 300 : 1000;
        await using (var host = await HostProcess.StartAsync())
        {
            using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(10) };
            var latencies = new List<double>();
            long manifestBytesAt10 = 0;
            for (var i = 1; i <= total; i++)
            {
                var clock = Stopwatch.StartNew();
                await PostAsync(http, "steady", Rows(i * RowsPerAppend, header: true), append: i > 1);
                latencies.Add(clock.Elapsed.TotalMilliseconds);
                if (i == 10) manifestBytesAt10 = await ManifestBytesAsync(http);
            }
            // Medians of ten around each point: one append alone is at the mercy of this machine's noise.
            var early = Timing.Median(latencies.Skip(9).Take(10));
            var late = Timing.Median(latencies.Skip(total - 10).Take(10));
            Report.Figure(Workload, $"append_{total}th_ms", late, "append_10th_ms", early, lowerIsBetter: true);
            Report.Figure(Workload, $"manifest_bytes_after_{total}", await ManifestBytesAsync(http), "manifest_bytes_after_10", manifestBytesAt10, lowerIsBetter: true);
        }
    }

    static string Rows(int from, bool header)
    {
        var csv = new StringBuilder(header ? "id,state,amount,day\n" : "");
        for (var i = from; i < from + RowsPerAppend; i++)
        {
            csv.Append(i).Append(',').Append(States[i % States.Length]).Append(',')
                .Append((i % 1000 / 10.0).ToString(CultureInfo.InvariantCulture)).Append(",2024-03-").Append(1 + (i % 28)).Append('\n');
        }
        return csv.ToString();
    }

    static async Task PostAsync(HttpClient http, string dataset, string csv, bool append = false)
    {
        using var response = await http.PostAsync($"/v1/ingest/{dataset}{(append ? "?mode=append" : "")}", new StringContent(csv, Encoding.UTF8, "text/csv"));
        response.EnsureSuccessStatusCode();
    }

    static async Task<long> ManifestBytesAsync(HttpClient http) =>
        (await http.GetByteArrayAsync("/v1/storage/objects/_catalog/steady.json")).LongLength;

    static Task<double> GroupByMedianAsync(HttpClient http, string dataset) =>
        Timing.MedianAsync(20, () => Timing.SqlAsync(http, $"SELECT state, count(*), avg(amount), max(day) FROM {dataset} GROUP BY state ORDER BY state"), warmUps: 3);
}
