using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Query;

/// <summary>POST /v1/sql through REST against each storage backend, checked against values the test computes itself.</summary>
public abstract class QueryContractTests
{
    protected abstract Task<LakehouseFactory> CreateAsync(Dictionary<string, string>? settings = null);

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    sealed record Sale(long Id, string Region, double? Amount, bool Paid, DateOnly Day);

    static readonly string[] Regions = ["north", "south", "east", "west", "central"];

    static List<Sale> Sales(int count) =>
        [.. Enumerable.Range(1, count).Select(i => new Sale(i, Regions[i % 5], i % 7 == 0 ? null : Math.Round(i * 1.25, 2), i % 3 == 0, new DateOnly(2024, 1, 1).AddDays(i % 365)))];

    static string Csv(IEnumerable<Sale> sales) =>
        "id,region,amount,paid,day\n" + string.Concat(sales.Select(s =>
            string.Create(CultureInfo.InvariantCulture, $"{s.Id},{s.Region},{s.Amount},{(s.Paid ? "true" : "false")},{s.Day:yyyy-MM-dd}\n")));

    static async Task<(HttpClient Client, List<Sale> Sales)> WithSalesAsync(LakehouseFactory host, int count = 2000)
    {
        var client = host.CreateClient();
        var sales = Sales(count);
        await client.IngestOkAsync("sales", Csv(sales));
        return (client, sales);
    }

    [Fact]
    public async Task Aggregates_match_values_computed_independently()
    {
        await using var host = await CreateAsync();
        var (client, sales) = await WithSalesAsync(host);
        var result = await client.SqlOkAsync("SELECT count(*) AS n, count(amount) AS with_amount, sum(amount) AS total, min(day) AS first_day, max(id) AS top FROM sales");
        var row = result.GetProperty("rows")[0];
        Assert.Equal(sales.Count, row[0].GetInt64());
        Assert.Equal(sales.Count(s => s.Amount is not null), row[1].GetInt64());
        Assert.Equal(sales.Sum(s => s.Amount ?? 0), row[2].GetDouble(), 6);
        Assert.Equal(sales.Min(s => s.Day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), row[3].GetString());
        Assert.Equal(sales.Count, row[4].GetInt64());
        Assert.Equal(["n", "with_amount", "total", "first_day", "top"], result.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(["BIGINT", "BIGINT", "DOUBLE", "DATE", "BIGINT"], result.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Group_by_with_nulls_matches()
    {
        await using var host = await CreateAsync();
        var (client, sales) = await WithSalesAsync(host);
        var result = await client.SqlOkAsync("SELECT region, count(*), avg(amount), count(*) FILTER (WHERE paid) FROM sales GROUP BY region ORDER BY region");
        var expected = sales.GroupBy(s => s.Region).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var rows = result.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expected[i].Key, rows[i][0].GetString());
            Assert.Equal(expected[i].Count(), rows[i][1].GetInt64());
            Assert.Equal(expected[i].Where(s => s.Amount is not null).Average(s => s.Amount!.Value), rows[i][2].GetDouble(), 6);
            Assert.Equal(expected[i].Count(s => s.Paid), rows[i][3].GetInt64());
        }
        var nulls = await client.SqlOkAsync("SELECT id, amount FROM sales WHERE amount IS NULL ORDER BY id LIMIT 3");
        Assert.Equal([7L, 14L, 21L], nulls.GetProperty("rows").EnumerateArray().Select(r => r[0].GetInt64()));
        Assert.All(nulls.GetProperty("rows").EnumerateArray(), r => Assert.Equal(JsonValueKind.Null, r[1].ValueKind));
    }

    [Fact]
    public async Task Values_map_to_json_naturally()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var result = await client.SqlOkAsync(
            "SELECT 42::BIGINT i, 2.5::DOUBLE d, 'x\"y' s, true b, NULL n, DATE '2024-02-29' dt, TIMESTAMP '2024-01-02 03:04:05.5' ts, 1.25::DECIMAL(10,2) amount, [1, 2] l, {'k': 'v'} st");
        var row = result.GetProperty("rows")[0];
        Assert.Equal(42, row[0].GetInt64());
        Assert.Equal(2.5, row[1].GetDouble());
        Assert.Equal("x\"y", row[2].GetString());
        Assert.True(row[3].GetBoolean());
        Assert.Equal(JsonValueKind.Null, row[4].ValueKind);
        Assert.Equal("2024-02-29", row[5].GetString());
        Assert.Equal("2024-01-02T03:04:05.5", row[6].GetString());
        Assert.Equal(1.25m, row[7].GetDecimal());
        Assert.Equal([1, 2], row[8].EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("v", row[9].GetProperty("k").GetString());
    }

    [Fact]
    public async Task Strings_survive_json_escaping_exactly()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var expected = "q\"b\\s/t\tn\nr\r c\u0001\u001f é 😀 \u2028 end";
        var sql = "SELECT 'q\"b\\s/t' || chr(9) || 'n' || chr(10) || 'r' || chr(13) || ' c' || chr(1) || chr(31) || ' é 😀 ' || chr(8232) || ' end' AS s";
        foreach (var accept in new string?[] { null, "application/x-ndjson" })
        {
            var body = await (await client.SqlAsync(sql, accept: accept)).Content.ReadAsStringAsync(Cancel);
            var value = accept is null
                ? JsonDocument.Parse(body).RootElement.GetProperty("rows")[0][0].GetString()
                : JsonDocument.Parse(body.Trim()).RootElement.GetProperty("s").GetString();
            Assert.Equal(expected, value);
        }
    }

    [Fact]
    public async Task Csv_and_ndjson_carry_the_same_rows()
    {
        await using var host = await CreateAsync();
        var (client, sales) = await WithSalesAsync(host, 50);
        const string sql = "SELECT id, region, amount, paid, day FROM sales ORDER BY id";

        var csv = await client.SqlAsync(sql, accept: "text/csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync(Cancel)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,region,amount,paid,day", lines[0]);
        Assert.Equal(sales.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Id},{s.Region},{s.Amount},{(s.Paid ? "true" : "false")},{s.Day:yyyy-MM-dd}")), lines[1..]);

        var ndjson = await client.SqlAsync(sql, accept: "application/x-ndjson");
        Assert.Equal("application/x-ndjson", ndjson.Content.Headers.ContentType?.MediaType);
        var objects = (await ndjson.Content.ReadAsStringAsync(Cancel)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(sales.Count, objects.Count);
        Assert.Equal(sales[6].Id, objects[6].GetProperty("id").GetInt64());
        Assert.Equal(JsonValueKind.Null, objects[6].GetProperty("amount").ValueKind);
        Assert.Equal(sales[1].Region, objects[1].GetProperty("region").GetString());
    }

    [Fact]
    public async Task Ndjson_keys_a_repeated_column_name_as_duckdb_names_a_subquerys_columns()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        const string Select = "SELECT 1 AS a, 2 AS a, 3 AS a_1, 4 AS A, 5 AS b";
        var line = (await (await client.SqlAsync(Select, accept: "application/x-ndjson")).Content.ReadAsStringAsync(Cancel)).Trim();
        // The keys DuckDB itself gives these columns once they are a subquery's.
        var subquery = JsonDocument.Parse(await (await client.SqlAsync($"SELECT * FROM ({Select})")).Content.ReadAsStringAsync(Cancel)).RootElement;
        var expected = subquery.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToArray();
        var keys = JsonDocument.Parse(line).RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(expected, keys);
        Assert.Equal(keys.Length, keys.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal([1, 2, 3, 4, 5], JsonDocument.Parse(line).RootElement.EnumerateObject().Select(p => p.Value.GetInt32()));
    }

    [Fact]
    public async Task Csv_output_keeps_null_and_empty_string_apart()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var csv = await (await client.SqlAsync("SELECT NULL::VARCHAR a, '' b, 'x,y' c", accept: "text/csv")).Content.ReadAsStringAsync(Cancel);
        Assert.Equal("a,b,c\r\n,\"\",\"x,y\"\r\n", csv);
    }

    [Fact]
    public async Task Max_rows_truncates_and_says_so()
    {
        await using var host = await CreateAsync();
        var (client, _) = await WithSalesAsync(host, 100);
        var result = await client.SqlOkAsync("SELECT id FROM sales ORDER BY id", maxRows: 10);
        Assert.Equal(10, result.GetProperty("row_count").GetInt64());
        Assert.True(result.GetProperty("truncated").GetBoolean());
        Assert.Equal(10, result.GetProperty("rows").GetArrayLength());
        var all = await client.SqlOkAsync("SELECT id FROM sales", maxRows: 100);
        Assert.False(all.GetProperty("truncated").GetBoolean());
        Assert.True(all.GetProperty("elapsed_ms").GetInt64() >= 0);
    }

    [Fact]
    public async Task Changes_are_visible_to_the_next_query()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.IngestOkAsync("live", "a,b\n1,x\n");
        Assert.Equal(1, (await client.SqlOkAsync("SELECT count(*) FROM live")).GetProperty("rows")[0][0].GetInt64());
        await client.IngestOkAsync("live", "a,b\n2,y\n3,z\n");
        Assert.Equal(3, (await client.SqlOkAsync("SELECT count(*) FROM live")).GetProperty("rows")[0][0].GetInt64());
        await client.IngestOkAsync("live", "c\n9\n", "?mode=replace");
        Assert.Equal(9, (await client.SqlOkAsync("SELECT c FROM live")).GetProperty("rows")[0][0].GetInt64());
        // The same column name with another type: the view fixes its columns' types, so it must be made again.
        await client.IngestOkAsync("live", "c\nword\n", "?mode=replace");
        Assert.Equal("word", (await client.SqlOkAsync("SELECT c FROM live")).GetProperty("rows")[0][0].GetString());
        Assert.Equal("VARCHAR", (await client.SqlOkAsync("SELECT data_type FROM duckdb_columns() WHERE table_name = 'live'")).GetProperty("rows")[0][0].GetString());
        Assert.Equal(9, (await client.SqlOkAsync("SELECT c FROM dataset_at('live', 3)")).GetProperty("rows")[0][0].GetInt64());
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/catalog/datasets/live", Cancel)).StatusCode);
        await ProblemAssert.IsProblem(await client.SqlAsync("SELECT * FROM live"), HttpStatusCode.BadRequest, "live");
    }

    [Fact]
    public async Task Views_are_rebuilt_after_a_restart()
    {
        var settings = await SharedSettingsAsync();
        using var root = new TempFolder();
        await using (var first = await CreateAsync(Merge(settings, root)))
        {
            await first.CreateClient().IngestOkAsync("kept", "a\n1\n2\n");
        }
        await using var second = await CreateAsync(Merge(settings, root));
        var client = await second.CreateReadyClientAsync();
        Assert.Equal(3, (await client.SqlOkAsync("SELECT sum(a) FROM kept")).GetProperty("rows")[0][0].GetInt64());
    }

    static Dictionary<string, string> Merge(Dictionary<string, string> settings, TempFolder root) =>
        new(settings) { ["storage:root"] = root.Path };

    protected virtual Task<Dictionary<string, string>> SharedSettingsAsync() => Task.FromResult(new Dictionary<string, string>());

    [Theory]
    [InlineData("SELECT nope FROM sales", "nope")]
    [InlineData("SELEC 1", "syntax error")]
    [InlineData("SELECT 'a' + 1", "")]
    [InlineData("", "sql is required")]
    public async Task Sql_errors_are_400_with_duckdbs_message(string sql, string detail)
    {
        await using var host = await CreateAsync();
        var (client, _) = await WithSalesAsync(host, 10);
        await ProblemAssert.IsProblem(await client.SqlAsync(sql), HttpStatusCode.BadRequest, detail);
    }

    [Fact]
    public async Task A_query_over_the_timeout_is_cancelled_with_408_and_the_engine_carries_on()
    {
        await using var host = await CreateAsync(new() { ["query:timeout"] = "1s" });
        var client = host.CreateClient();
        await ProblemAssert.IsProblem(await client.SqlAsync("SELECT sum(a.range * b.range) FROM range(2000000) a, range(2000000) b"), HttpStatusCode.RequestTimeout, "query.timeout");
        Assert.Equal(2, (await client.SqlOkAsync("SELECT 1 + 1")).GetProperty("rows")[0][0].GetInt32());
    }

    [Fact]
    public async Task A_time_out_after_rows_went_out_cuts_the_stream_and_says_why_in_the_log()
    {
        await using var host = await CreateAsync(new() { ["query:timeout"] = "1s" });
        var client = host.CreateClient();
        using (var response = await client.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "/v1/sql") { Content = JsonContent.Create(new { sql = "SELECT range FROM range(300000000)" }) },
            HttpCompletionOption.ResponseHeadersRead, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // Far more rows than one second allows: the body ends early, never as complete JSON.
            var body = new MemoryStream();
            var cut = await Record.ExceptionAsync(() => response.Content.CopyToAsync(body, Cancel));
            Assert.True(cut is not null || !IsCompleteJson(body.ToArray()), $"a complete {body.Length}-byte result arrived");
        }
        // The cut can reach the client before the host has logged why (a cancelled flush aborts the connection at once).
        await Polling.UntilAsync(
            () => host.Logs.Messages.Any(m => m.Contains("Query stopped after the response began", StringComparison.Ordinal) && m.Contains("query.timeout", StringComparison.Ordinal)),
            () => "a log line that says the time-out stopped the query: " + string.Join(" | ", host.Logs.Messages.TakeLast(8)));
        Assert.DoesNotContain(host.Logs.Messages, m => m.Contains("Unhandled error", StringComparison.Ordinal));
        Assert.Equal(2, (await client.SqlOkAsync("SELECT 1 + 1")).GetProperty("rows")[0][0].GetInt32());
    }

    static bool IsCompleteJson(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_client_that_hangs_up_cancels_its_query()
    {
        await using var host = await CreateAsync(new() { ["query:timeout"] = "300s" });
        var client = host.CreateClient();
        using (var hangUp = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                client.PostAsJsonAsync("/v1/sql", new { sql = "SELECT sum(a.range * b.range) FROM range(3000000) a, range(3000000) b" }, hangUp.Token));
        }
        // The query ends long before the 300 s time-out: the hang-up interrupted DuckDB, and the host says so.
        await Polling.UntilAsync(() => host.Logs.Messages.Any(m => m.Contains("Query cancelled", StringComparison.Ordinal)), () => "the query to stop after the client hung up");
    }

    [Fact]
    public async Task Five_million_rows_stream_as_csv()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sql") { Content = JsonContent.Create(new { sql = "SELECT range AS n FROM range(5000000)" }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Cancel));
        Assert.Equal("n", await reader.ReadLineAsync(Cancel));
        long count = 0, last = -1;
        while (await reader.ReadLineAsync(Cancel) is { } line)
        {
            last = long.Parse(line, CultureInfo.InvariantCulture);
            count++;
        }
        Assert.Equal(5_000_000, count);
        Assert.Equal(4_999_999, last);
    }

    [Fact]
    public async Task Concurrent_queries_each_get_their_own_answer()
    {
        await using var host = await CreateAsync();
        var (client, sales) = await WithSalesAsync(host, 500);
        // More queries than the engine has connections (16): the rest wait their turn.
        var answers = await Task.WhenAll(Enumerable.Range(1, 40).Select(async i =>
            (i, (await client.SqlOkAsync($"SELECT count(*) FROM sales WHERE id <= {i * 10}")).GetProperty("rows")[0][0].GetInt64())));
        Assert.All(answers, a => Assert.Equal(a.i * 10, a.Item2));
    }

    [Theory]
    [InlineData("COPY sales TO 'out.csv'")]
    [InlineData("ATTACH ':memory:' AS other")]
    [InlineData("INSTALL httpfs")]
    [InlineData("LOAD httpfs")]
    [InlineData("SET threads = 1")]
    [InlineData("PRAGMA show_tables")]
    [InlineData("CREATE TABLE t AS SELECT 1")]
    [InlineData("CREATE VIEW v AS SELECT 1")]
    [InlineData("INSERT INTO sales VALUES (1, 'x', 1, true, DATE '2024-01-01')")]
    [InlineData("DROP VIEW sales")]
    [InlineData("SELECT 1; DROP VIEW sales")]
    [InlineData("CALL pragma_version()")]
    [InlineData("EXPLAIN ANALYZE COPY (SELECT 1) TO 'x.csv'")]
    [InlineData("EXPLAIN /* a comment */ ANALYSE COPY sales TO 'out.csv'")]
    [InlineData("EXPLAIN (ANALYZE, FORMAT json) COPY sales TO 'out.csv'")]
    [InlineData("EXPLAIN ANALYZE INSERT INTO sales VALUES (1, 'x', 1, true, DATE '2024-01-01')")]
    [InlineData("EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1")]
    [InlineData("EXPLAIN EXPLAIN ANALYZE COPY sales TO 'out.csv'")]
    // Comment-like text inside a string, and a nested comment, read as DuckDB reads them (SqlTokenizer).
    [InlineData("EXPLAIN ANALYZE WITH a AS (SELECT '--') INSERT INTO sales SELECT * FROM sales\n/* /* */ ' ) SELECT 1 --*/")]
    [InlineData("EXPLAIN /* ANALYZE */ /* /* */ ANALYZE */ ANALYZE COPY sales TO 'out.csv'")]
    [InlineData("/* hi */ DELETE FROM sales")]
    [InlineData("SELECT * FROM read_csv('/etc/passwd')")]
    [InlineData("SELECT * FROM read_text('/etc/hostname')")]
    [InlineData("SELECT * FROM glob('/*')")]
    [InlineData("SELECT * FROM read_parquet('/tmp/*.parquet')")]
    [InlineData("SELECT * FROM query('DROP VIEW sales')")]
    public async Task The_sandbox_refuses_anything_but_reading_the_lakehouse(string sql)
    {
        await using var host = await CreateAsync();
        var (client, _) = await WithSalesAsync(host, 10);
        var before = await client.StorageSnapshotAsync();
        var response = await client.SqlAsync(sql);
        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest, $"{sql}: {(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(10, (await client.SqlOkAsync("SELECT count(*) FROM sales")).GetProperty("rows")[0][0].GetInt64());
        Assert.Equal(before, await client.StorageSnapshotAsync());
    }

    [Fact]
    public async Task Statements_that_would_write_are_403_not_run()
    {
        await using var host = await CreateAsync();
        var (client, _) = await WithSalesAsync(host, 10);
        foreach (var sql in new[] { "COPY (SELECT 1) TO 'x.csv'", "SET threads = 1", "INSERT INTO sales VALUES (1)", "PRAGMA show_tables", "SELECT 1; SELECT 2" })
        {
            await ProblemAssert.IsProblem(await client.SqlAsync(sql), HttpStatusCode.Forbidden);
        }
        // Writing inside the data folder itself: the lock-down allows it, the gate must not.
        var target = Path.Combine(host.Root, "datasets", "leak.csv").Replace("'", "''", StringComparison.Ordinal);
        await ProblemAssert.IsProblem(await client.SqlAsync($"COPY sales TO '{target}'"), HttpStatusCode.Forbidden);
        // EXPLAIN ANALYZE runs what it explains: decided by the explained statement's own type.
        // (On S3 the data folder is not DuckDB's, and its own sandbox refuses first.)
        await ProblemAssert.IsProblem(await client.SqlAsync($"EXPLAIN ANALYZE COPY sales TO '{target}'"), HttpStatusCode.Forbidden);
        Assert.False(File.Exists(Path.Combine(host.Root, "datasets", "leak.csv")));
    }

    [Theory]
    [InlineData("WITH x AS (SELECT 1 AS a) SELECT a FROM x")]
    [InlineData("VALUES (1), (2)")]
    [InlineData("FROM sales LIMIT 1")]
    [InlineData("DESCRIBE sales")]
    [InlineData("SHOW TABLES")]
    [InlineData("SUMMARIZE sales")]
    [InlineData("EXPLAIN SELECT * FROM sales")]
    [InlineData("EXPLAIN ANALYZE SELECT count(*) FROM sales")]
    [InlineData("EXPLAIN (FORMAT json) SELECT * FROM sales")]
    [InlineData("-- a comment\nSELECT 1")]
    public async Task Read_only_statements_are_allowed(string sql)
    {
        await using var host = await CreateAsync();
        var (client, _) = await WithSalesAsync(host, 10);
        var result = await client.SqlOkAsync(sql);
        Assert.True(result.GetProperty("row_count").GetInt64() > 0);
    }
}

public sealed class FileSystemQueryTests : QueryContractTests
{
    protected override Task<LakehouseFactory> CreateAsync(Dictionary<string, string>? settings = null) =>
        Task.FromResult(new LakehouseFactory(settings, settings?.GetValueOrDefault("storage:root")));

    [Fact]
    public async Task Query_connections_keep_streaming_results_about_one_chunk_ahead()
    {
        // DuckDB's default read-ahead (976 KiB, counted without string data) buffered whole results of long strings.
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        for (var i = 0; i < 20; i++) // whichever pooled connection answers
        {
            var setting = (await client.SqlOkAsync("SELECT current_setting('streaming_buffer_size')")).GetProperty("rows")[0][0].GetString();
            Assert.Equal("1000 bytes", setting);
        }
    }

    [Fact]
    public async Task Duckdb_spills_under_the_temp_folder_not_the_working_directory()
    {
        await using var host = await CreateAsync();
        var spill = (await host.CreateClient().SqlOkAsync("SELECT current_setting('temp_directory')")).GetProperty("rows")[0][0].GetString()!;
        Assert.StartsWith(Path.GetTempPath(), spill, StringComparison.Ordinal);
        Assert.False(spill.StartsWith(Environment.CurrentDirectory, StringComparison.Ordinal), spill);
    }

    [Fact]
    public async Task Reading_the_lakehouses_own_parquet_files_by_path_works()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.IngestOkAsync("own", "a\n1\n2\n3\n");
        var files = Path.Combine(host.Root, "datasets", "own", "*.parquet").Replace("'", "''", StringComparison.Ordinal);
        var response = await client.PostAsJsonAsync("/v1/sql", new { sql = $"SELECT sum(a) FROM read_parquet('{files}')" }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(6, JsonDocument.Parse(body).RootElement.GetProperty("rows")[0][0].GetInt64());
    }
}

public sealed class S3QueryTests(S3TestServer s3) : QueryContractTests
{
    protected override Task<LakehouseFactory> CreateAsync(Dictionary<string, string>? settings = null) => s3.HostAsync(settings);

    protected override Task<Dictionary<string, string>> SharedSettingsAsync() => s3.SettingsForNewBucketAsync();

    [Fact]
    public async Task The_read_through_cache_keeps_what_views_need_and_evicts_the_rest()
    {
        using var cache = new TempFolder();
        // Only current versions kept, so that a replaced file is needed by no view.
        await using var host = await CreateAsync(new() { ["query:cache_dir"] = cache.Path, ["query:cache_max_bytes"] = "1", ["catalog:keep_versions"] = "1" });
        var client = host.CreateClient();
        await client.IngestOkAsync("a", "x\n1\n");
        await client.IngestOkAsync("b", "y\n2\n");
        Assert.Equal(2, Directory.GetFiles(cache.Path, "*.parquet").Length); // over the limit, but both are in use
        await client.IngestOkAsync("a", "x\n5\n", "?mode=replace");
        Assert.Equal(2, Directory.GetFiles(cache.Path, "*.parquet").Length); // a's old file went
        var sum = await client.PostAsJsonAsync("/v1/sql", new { sql = "SELECT (SELECT sum(x) FROM a) + (SELECT sum(y) FROM b)" }, TestContext.Current.CancellationToken);
        Assert.Equal(7, JsonDocument.Parse(await sum.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("rows")[0][0].GetInt64());
        Assert.Empty(Directory.GetFiles(cache.Path, "*.part"));
    }
}
