using System.Diagnostics;
using System.Net.Http.Headers;
using Lakehouse.Common;
using nietras.SeparatedValues;

namespace Lakehouse.Bench;

/// <summary>
/// POST /v1/ingest of the workers CSV end to end (upload included), against DuckDB's own
/// COPY (SELECT * FROM read_csv(f)) TO parquet (snappy) on the same file in the same run. Also the
/// host's peak RSS during the ingest, at two file sizes, the Parquet size against DuckDB's, and a
/// small file's ingest against a SELECT 1 round trip.
/// </summary>
public static class IngestBench
{
    const string Workload = "ingest";

    public static async Task RunAsync(BenchOptions options)
    {
        var small = WorkersCsv.Ensure(50_000);
        var large = options.Quick ? small : WorkersCsv.Ensure(500_000);
        var rounds = options.Quick ? 1 : 3;

        ScanThroughput(large);
        var (anchorSeconds, anchorBytes) = await DuckDbCopyAsync(large, rounds);
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string> { ["LAKEHOUSE__INGEST__MAX_INGEST_BYTES"] = "1073741824" });
        using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(10) };

        await SmallFilesAsync(http);
        var smallRss = await PeakRssGrowthAsync(host, http, small, "workers_small");
        var best = double.MaxValue;
        double largeRss = 0;
        long parquetBytes = 0;
        for (var i = 0; i < rounds; i++)
        {
            var idle = host.RssMiB;
            host.ResetPeak();
            var clock = Stopwatch.StartNew();
            var result = await PostAsync(http, large, "workers", replace: true);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
            largeRss = Math.Max(largeRss, host.PeakRssMiB - idle);
            parquetBytes = result.RootElement.GetProperty("file").GetProperty("size_bytes").GetInt64();
            Report.Progress($"ingest round {i + 1}: {clock.Elapsed.TotalSeconds:F2} s, peak RSS {host.PeakRssMiB:F0} MiB");
        }
        var rows = options.Quick ? "50k" : "500k";
        Report.Figure(Workload, $"ingest_{rows}_rows_s", best, "duckdb_copy_s", anchorSeconds, lowerIsBetter: true);
        Report.Figure(Workload, "parquet_bytes", parquetBytes, "duckdb_parquet_bytes", anchorBytes, lowerIsBetter: true);
        Report.Figure(Workload, "host_peak_rss_mib", host.PeakRssMiB, "limit_mib", 1024, lowerIsBetter: true);
        Report.Figure(Workload, $"rss_growth_{rows}_mib", largeRss, "rss_growth_50k_mib", smallRss, lowerIsBetter: true);
        if (!options.Quick)
        {
            // Twice the rows again: DuckDB's COPY reaches a plateau (~0.4-0.5 GB) past a few hundred MB.
            var huge = WorkersCsv.Ensure(1_000_000);
            var hugeRss = await PeakRssGrowthAsync(host, http, huge, "workers_huge");
            Report.Figure(Workload, "rss_growth_1m_mib", hugeRss, "rss_growth_500k_mib", largeRss, lowerIsBetter: true);
        }
    }

    /// <summary>
    /// Teams upload many small files: the p50 of 50 appends of a 10 KB CSV against the p50 of a
    /// SELECT 1 round trip on the same host (the floor of any request), after 5 of each to warm up.
    /// </summary>
    static async Task SmallFilesAsync(HttpClient http)
    {
        var csv = new System.Text.StringBuilder("id,name,amount,day\n");
        var random = new Random(10);
        while (csv.Length < 10_000) csv.Append(csv.Length).Append(",name").Append(random.Next(1000)).Append(',').Append(random.Next(10000) / 100.0).Append(",2024-01-").Append(random.Next(10, 28)).Append('\n');
        var body = csv.ToString();
        async Task<double> TimedAsync(Func<Task<HttpResponseMessage>> send)
        {
            var clock = Stopwatch.StartNew();
            using var response = await send();
            response.EnsureSuccessStatusCode();
            await response.Content.CopyToAsync(Stream.Null);
            return clock.Elapsed.TotalMilliseconds;
        }
        Task<HttpResponseMessage> Append() => http.PostAsync("/v1/ingest/small_files?mode=append", new StringContent(body, System.Text.Encoding.UTF8, "text/csv"));
        Task<HttpResponseMessage> Select() => http.PostAsync("/v1/sql", new StringContent("{\"sql\":\"SELECT 1\"}", System.Text.Encoding.UTF8, "application/json"));
        for (var i = 0; i < 5; i++)
        {
            await TimedAsync(Append);
            await TimedAsync(Select);
        }
        var appends = new List<double>();
        var selects = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            appends.Add(await TimedAsync(Append));
            selects.Add(await TimedAsync(Select));
        }
        Report.Figure(Workload, "small_file_ingest_p50_ms", appends.Order().ElementAt(25), "select_1_p50_ms", selects.Order().ElementAt(25), lowerIsBetter: true);
    }

    /// <summary>The validating, type-inferring scan alone, from memory: the part of an ingest that runs while the upload arrives.</summary>
    static void ScanThroughput(string csv)
    {
        SameVerdicts();
        ScanThroughput(File.ReadAllBytes(csv), "csv_scan_mib_s");
        ScanThroughput(QuoteHeavy(), "csv_scan_quote_heavy_mib_s");
        ScanThroughput(Wide(), "csv_scan_wide_mib_s");
    }

    /// <summary>~64 MB where every field is quoted and a third hold doubled quotes, commas or line breaks: the escaping paths.</summary>
    static byte[] QuoteHeavy()
    {
        var csv = new System.Text.StringBuilder("a,b,c,d,e,f\n");
        var random = new Random(7);
        while (csv.Length < 64 << 20)
        {
            for (var column = 0; column < 6; column++)
            {
                csv.Append(column == 0 ? "" : ",").Append('"').Append("text ").Append(random.Next(100000));
                switch (random.Next(6))
                {
                    case 0: csv.Append(" said \"\"hi\"\""); break;
                    case 1: csv.Append(", and more, commas"); break;
                    case 2: csv.Append("\nsecond line"); break;
                }
                csv.Append('"');
            }
            csv.Append('\n');
        }
        return System.Text.Encoding.UTF8.GetBytes(csv.ToString());
    }

    /// <summary>~64 MB of 500 short numeric and text columns: the per-field overhead.</summary>
    static byte[] Wide()
    {
        var csv = new System.Text.StringBuilder(string.Join(',', Enumerable.Range(0, 500).Select(i => $"c{i}")) + "\n");
        var random = new Random(8);
        while (csv.Length < 64 << 20)
        {
            for (var column = 0; column < 500; column++) csv.Append(column == 0 ? "" : ",").Append(column % 3 == 0 ? $"v{random.Next(1000)}" : random.Next(100000).ToString(System.Globalization.CultureInfo.InvariantCulture));
            csv.Append('\n');
        }
        return System.Text.Encoding.UTF8.GetBytes(csv.ToString());
    }

    static void ScanThroughput(byte[] bytes, string metric)
    {
        var ours = Ours(bytes);
        var sep = SepStrictScan.Scan(bytes);
        if (!sep.Types.SequenceEqual(ours.Types) || sep.Rows != ours.Rows)
            throw new InvalidOperationException($"{metric}: the Sep-based scan read [{string.Join(", ", sep.Types)}] × {sep.Rows}, ours [{string.Join(", ", ours.Types)}] × {ours.Rows}");
        var best = MiBPerSecond(bytes, () => Ours(bytes), () => SepStrictScan.Scan(bytes), () => SepReadEveryField(bytes));
        Report.Figure(Workload, metric, best[0], "sep_same_checks_mib_s", best[1]);
        Report.Figure(Workload, metric, best[0], "sep_read_every_field_mib_s", best[2]);
    }

    /// <summary>The Sep-based scan is only a fair anchor if it refuses what ours refuses and reads the rest alike.</summary>
    static void SameVerdicts()
    {
        static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);
        byte[][] refused =
        [
            Utf8("a,b\n1,\"x\"y\n"), // text after a closing quote
            Utf8("a,b\n1,5'10\"\n"), // a lone quote in an unquoted value
            Utf8("a,b,c\n1,$34.14\"Kids' Sweater Fleece, Hooded\"\n"), // the shifted row of issue 14
            Utf8("a,b\n1,\"x\"\"y\"\"\n"), // a lone quote inside a quoted value
            Utf8("a\n\"never closed\n"),
            Utf8("a,b\n1\n"),
            [(byte)'a', (byte)'\n', 0xff, (byte)'\n'], // not UTF-8
        ];
        byte[][] read =
        [
            Utf8("a,b\n\"x\"\"y\",37°36'37.8\"N 121°2'17.9\"W\n1,\"\"\n,2\n\n3,2024-01-02\n"),
            Utf8("a,b,c\n1,2.5,true\n-3,1e3,FALSE\n"),
        ];
        foreach (var bytes in refused.Concat(read))
        {
            var ours = Verdict(() => string.Join(",", Ours(bytes).Types));
            var sep = Verdict(() => string.Join(",", SepStrictScan.Scan(bytes).Types));
            var text = System.Text.Encoding.UTF8.GetString(bytes).ReplaceLineEndings("⏎");
            if (ours != sep) throw new InvalidOperationException($"On {text} ours says {ours}, the Sep-based scan {sep}");
            if ((ours == "refused") != refused.Contains(bytes)) throw new InvalidOperationException($"On {text} both say {ours}");
        }
    }

    static string Verdict(Func<string> scan)
    {
        try
        {
            return scan();
        }
        catch (Lakehouse.Ingest.CsvFormatException)
        {
            return "refused";
        }
    }

    /// <summary>Our scanner as the ingest runs it: fed the upload 1 MiB at a time.</summary>
    static Lakehouse.Ingest.CsvShape Ours(byte[] bytes)
    {
        var scanner = new Lakehouse.Ingest.CsvScanner((byte)',', header: true);
        for (var offset = 0; offset < bytes.Length; offset += 1 << 20) scanner.Feed(bytes.AsSpan(offset, Math.Min(1 << 20, bytes.Length - offset)));
        return scanner.Finish();
    }

    /// <summary>Each scan's best of five rounds, the scans taking turns so that a slow spell of the machine hits them alike.</summary>
    static double[] MiBPerSecond(byte[] bytes, params Action[] scans)
    {
        var best = scans.Select(_ => double.MaxValue).ToArray();
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < scans.Length; i++)
            {
                var clock = Stopwatch.StartNew();
                scans[i]();
                best[i] = Math.Min(best[i], clock.Elapsed.TotalSeconds);
            }
        }
        return [.. best.Select(seconds => bytes.Length / 1048576.0 / seconds)];
    }

    /// <summary>
    /// Sep 0.17.1 reading the same bytes with unescaping and touching every field, and nothing else: no
    /// UTF-8 check beyond decoding, no type inference, no refusal of bad quotes. The floor of any
    /// Sep-based scan.
    /// </summary>
    static void SepReadEveryField(byte[] bytes)
    {
        long chars = 0;
        using (var reader = Sep.Reader(o => o with { Unescape = true, Sep = new Sep(',') }).From(bytes))
        {
            foreach (var row in reader)
            {
                for (var i = 0; i < row.ColCount; i++) chars += row[i].Span.Length;
            }
        }
        if (chars == 0) throw new InvalidOperationException("Sep read nothing");
    }

    static async Task<double> PeakRssGrowthAsync(HostProcess host, HttpClient http, string csv, string dataset)
    {
        var idle = host.RssMiB;
        host.ResetPeak();
        await PostAsync(http, csv, dataset, replace: true);
        return host.PeakRssMiB - idle;
    }

    static async Task<System.Text.Json.JsonDocument> PostAsync(HttpClient http, string csv, string dataset, bool replace)
    {
        await using var file = File.OpenRead(csv);
        var content = new StreamContent(file, 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var response = await http.PostAsync($"/v1/ingest/{dataset}{(replace ? "?mode=replace" : "")}", content);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"ingest failed: {(int)response.StatusCode} {body}");
        return System.Text.Json.JsonDocument.Parse(body);
    }

    static async Task<(double Seconds, long Bytes)> DuckDbCopyAsync(string csv, int rounds)
    {
        var target = Path.Combine(Path.GetTempPath(), "lakehouse-bench-anchor.parquet");
        var best = double.MaxValue;
        for (var i = 0; i < rounds; i++)
        {
            File.Delete(target);
            await using var duck = DuckDb.OpenInMemory();
            var clock = Stopwatch.StartNew();
            await duck.ExecuteAsync($"COPY (SELECT * FROM read_csv({DuckDb.Literal(csv)})) TO {DuckDb.Literal(target)} (FORMAT parquet, COMPRESSION snappy)");
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        var bytes = new FileInfo(target).Length;
        File.Delete(target);
        Report.Progress($"DuckDB COPY anchor: {best:F2} s, {bytes:N0} bytes");
        return (best, bytes);
    }
}
