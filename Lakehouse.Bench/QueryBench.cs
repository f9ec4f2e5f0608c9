using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DuckDB.NET.Data;
using Lakehouse.Common;

namespace Lakehouse.Bench;

/// <summary>
/// POST /v1/sql against the same query run directly on DuckDB.NET over the same Parquet file in
/// this process: a group-by's round trip, 100,000 full rows as JSON and as CSV (rows/s, against a
/// DuckDB reader + Utf8JsonWriter loop), and the host's RSS growth while 5 million rows stream as CSV
/// and while 280 MB of lists stream as JSON.
/// </summary>
public static class QueryBench
{
    const string Workload = "query";
    const string GroupBy = "SELECT state, count(*) AS workers, avg(hourly_rate) AS rate FROM workers GROUP BY state ORDER BY state";

    public static async Task RunAsync(BenchOptions options)
    {
        var csv = WorkersCsv.Ensure(options.Quick ? 50_000 : 500_000);
        var repeats = options.Quick ? 20 : 100;
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string> { ["LAKEHOUSE__INGEST__MAX_INGEST_BYTES"] = "1073741824" });
        using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(10) };
        var content = new StreamContent(File.OpenRead(csv), 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        (await http.PostAsync("/v1/ingest/workers", content)).EnsureSuccessStatusCode();
        var parquet = Directory.GetFiles(Path.Combine(host.Root, "data", "datasets", "workers"), "*.parquet").Single();

        await using var duck = DuckDb.OpenInMemory();
        await duck.ExecuteAsync($"CREATE VIEW workers AS SELECT * FROM read_parquet({DuckDb.Literal(parquet)})");

        // In turns, so that the machine's swings from minute to minute hit both alike.
        var (rest, direct) = await Timing.PairedMediansAsync(repeats, () => Timing.SqlAsync(http, GroupBy, null), () =>
        {
            DirectGroupBy(duck);
            return Task.CompletedTask;
        });
        Report.Figure(Workload, "group_by_ms", rest, "duckdb_direct_ms", direct, lowerIsBetter: true);
        Report.Figure(Workload, "group_by_overhead_ms", rest - direct, "budget_ms", (direct * 0.5) + 2, lowerIsBetter: true);

        var rows = options.Quick ? 50_000 : 100_000;
        var select = $"SELECT * FROM workers LIMIT {rows}";
        // A server runs many queries: rates are taken once the JIT has settled (tiered compilation
        // with PGO needs a few large results before the formatting code is fully optimised).
        var anchor = rows / Timing.Median(5, () => DirectJson(duck, select), warmUps: 3) * 1000;
        var json = rows / await Timing.MedianAsync(5, () => Timing.SqlAsync(http, select, null), warmUps: 3) * 1000;
        var csvRate = rows / await Timing.MedianAsync(5, () => Timing.SqlAsync(http, select, "text/csv"), warmUps: 3) * 1000;
        Report.Figure(Workload, "json_rows_s", json, "duckdb_reader_utf8jsonwriter_rows_s", anchor);
        Report.Figure(Workload, "csv_rows_s", csvRate, "json_rows_s", json);

        var idle = host.RssMiB;
        host.ResetPeak();
        var clock = Stopwatch.StartNew();
        await Timing.SqlAsync(http, "SELECT range AS n, range * 2 AS twice FROM range(5000000)", "text/csv");
        Report.Figure(Workload, "csv_5m_rows_rss_growth_mib", host.PeakRssMiB - idle, "limit_mib", 100, lowerIsBetter: true);
        Report.Progress($"5M rows as CSV in {clock.Elapsed.TotalSeconds:F2} s");

        // Nested values are rendered to JSON text as they are read: 20,000 rows of a 2,000-number list
        // (about 280 MB of JSON) must not be held a 2,048-row chunk at a time.
        idle = host.RssMiB;
        host.ResetPeak();
        clock.Restart();
        await Timing.SqlAsync(http, "SELECT i, list_transform(range(2000), x -> x + i) AS l FROM range(20000) t(i)", null);
        Report.Figure(Workload, "json_280mb_of_lists_rss_growth_mib", host.PeakRssMiB - idle, "limit_mib", 100, lowerIsBetter: true);
        Report.Progress($"280 MB of lists as JSON in {clock.Elapsed.TotalSeconds:F2} s");
    }

    static void DirectGroupBy(DuckDBConnection duck)
    {
        using var command = duck.CreateCommand();
        command.CommandText = GroupBy;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            _ = reader.GetValue(0);
        }
    }

    /// <summary>The anchor for full rows: DuckDB's reader with GetValue, written by Utf8JsonWriter to nowhere.</summary>
    static void DirectJson(DuckDBConnection duck, string sql)
    {
        using var command = duck.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        using var json = new Utf8JsonWriter(Stream.Null);
        json.WriteStartArray();
        while (reader.Read())
        {
            json.WriteStartArray();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (reader.IsDBNull(i)) json.WriteNullValue();
                else JsonSerializer.Serialize(json, reader.GetValue(i));
            }
            json.WriteEndArray();
            if (json.BytesPending > 65536) json.Flush();
        }
        json.WriteEndArray();
    }
}
