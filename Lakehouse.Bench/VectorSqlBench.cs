using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lakehouse.Common;

namespace Lakehouse.Bench;

/// <summary>
/// Vectors meeting tables, through the REST API: an index built from a 100k-row query
/// (items:from-sql over a Parquet file with a FLOAT[128] column, as another tool would write it)
/// against the REST batch upsert of the same rows in batches of the same size (two of each, in turns:
/// REST, SQL, SQL, REST); and a k=10 search
/// through SQL's vector_search against the REST search with the same vector, timed in turns; and a 1%
/// filtered search against the SQL brute force over the rows that pass.
/// </summary>
public static class VectorSqlBench
{
    const string Workload = "vectorsql";
    const int Dim = 128;
    const int Batch = 10_000; // IndexFromSql's batch size

    public static async Task RunAsync(BenchOptions options)
    {
        var rows = options.Quick ? 20_000 : 100_000;
        await using var host = await HostProcess.StartAsync();
        using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(10) };

        var parquet = Path.Combine(host.Root, "embeddings.parquet");
        using (var duck = DuckDb.OpenInMemory())
        using (var command = duck.CreateCommand())
        {
            command.CommandText = $"""
                COPY (SELECT 'd' || i AS doc_id, list_transform(range({Dim}), x -> (random() * 2 - 1)::FLOAT) AS embedding, 'title ' || i AS title, (i % 100)::INTEGER AS bucket
                      FROM range({rows}) t(i) ORDER BY i) TO '{parquet}' (FORMAT parquet)
                """;
            command.ExecuteNonQuery();
        }
        (await http.PutAsync("/v1/storage/objects/external/embeddings.parquet", new ByteArrayContent(await File.ReadAllBytesAsync(parquet)))).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync("/v1/catalog/datasets/docs", new { files = new[] { "external/embeddings.parquet" } })).EnsureSuccessStatusCode();
        // Four indexes built in turns, REST, SQL, SQL, REST: a drift in the machine's speed, or the
        // persister still saving the index before, weighs on both sides alike.
        foreach (var name in new[] { "from_rest", "from_sql", "from_sql_2", "from_rest_2" }) (await http.PostAsJsonAsync("/v1/vectors/indexes", new { name, dim = Dim, metric = "l2" })).EnsureSuccessStatusCode();

        // The REST side's bodies are made before the clock starts: the client's JSON is not ours to time.
        var bodies = new List<byte[]>();
        using (var duck = DuckDb.OpenInMemory())
        using (var command = duck.CreateCommand())
        {
            command.CommandText = $"SELECT doc_id, embedding::VARCHAR, title, bucket FROM read_parquet('{parquet}')";
            using var reader = command.ExecuteReader();
            var body = new StringBuilder();
            var inBody = 0;
            while (reader.Read())
            {
                body.Append(inBody == 0 ? "{\"items\":[" : ",");
                body.Append("{\"id\":\"").Append(reader.GetString(0)).Append("\",\"vector\":").Append(reader.GetString(1)).Append(",\"metadata\":{\"title\":\"").Append(reader.GetString(2)).Append("\",\"bucket\":").Append(reader.GetInt32(3)).Append("}}");
                if (++inBody == Batch)
                {
                    bodies.Add(Encoding.UTF8.GetBytes(body.Append("]}").ToString()));
                    body.Clear();
                    inBody = 0;
                }
            }
            if (inBody > 0) bodies.Add(Encoding.UTF8.GetBytes(body.Append("]}").ToString()));
        }

        async Task<double> RestAsync(string index)
        {
            var clock = Stopwatch.StartNew();
            foreach (var body in bodies)
            {
                var content = new ByteArrayContent(body);
                content.Headers.ContentType = new("application/json");
                (await http.PostAsync($"/v1/vectors/indexes/{index}/items", content)).EnsureSuccessStatusCode();
            }
            return clock.Elapsed.TotalSeconds;
        }
        async Task<double> FromSqlAsync(string index)
        {
            var clock = Stopwatch.StartNew();
            var built = await http.PostAsJsonAsync($"/v1/vectors/indexes/{index}/items:from-sql", new { sql = "SELECT doc_id AS id, embedding AS vector, title, bucket FROM docs" });
            var seconds = clock.Elapsed.TotalSeconds;
            if (!built.IsSuccessStatusCode) throw new InvalidOperationException(await built.Content.ReadAsStringAsync());
            return seconds;
        }
        var rest = await RestAsync("from_rest");
        var fromSql = await FromSqlAsync("from_sql");
        fromSql += await FromSqlAsync("from_sql_2");
        rest += await RestAsync("from_rest_2");
        Report.Progress($"index builds, seconds: REST {rest:F1} (two), from SQL {fromSql:F1} (two)");
        (rest, fromSql) = (rest / 2, fromSql / 2);
        Report.Figure(Workload, $"index_from_sql_{rows / 1000}k_s", fromSql, "rest_batch_upsert_s", rest, lowerIsBetter: true);

        var random = new Random(3);
        var queries = Enumerable.Range(0, 50).Select(_ => Enumerable.Range(0, Dim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        string Literal(float[] vector) => $"[{string.Join(",", vector.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}]";
        var literals = queries.Select(Literal).ToArray();
        // Every request takes the next vector: none repeats the search the request before it just ran,
        // whose index nodes would still be in the cache (the REST search once ran right after the SQL
        // search of the same vector).
        var next = 0;
        float[] NextVector() => queries[next++ % queries.Length];
        string NextLiteral() => literals[next++ % literals.Length];
        async Task Rest() => (await http.PostAsJsonAsync("/v1/vectors/indexes/from_sql/search", new { vector = NextVector(), k = 10 })).EnsureSuccessStatusCode();
        var turns = options.Quick ? 100 : 400;
        // The vector as a list literal (as the issue writes it) and as text ('[…]'), and the REST search, in turns.
        var medians = await Timing.MediansInTurnsAsync(turns, 20,
            () => Timing.SqlAsync(http, $"SELECT * FROM vector_search('from_sql', {NextLiteral()}, 10)"),
            () => Timing.SqlAsync(http, $"SELECT * FROM vector_search('from_sql', '{NextLiteral()}', 10)"),
            Rest);
        var (sql, text, search) = (medians[0], medians[1], medians[2]);
        Report.Figure(Workload, "vector_search_sql_k10_ms", sql, "rest_search_k10_ms", search, lowerIsBetter: true);
        Report.Figure(Workload, "vector_search_sql_added_ms", sql - search, "budget_ms", 1, lowerIsBetter: true);
        Report.Figure(Workload, "vector_search_sql_text_added_ms", text - search, "budget_ms", 1, lowerIsBetter: true);
        // A form that must take the general road (the macro): the vector from a scalar subquery.
        var (subquery, searchForSubquery) = await Timing.PairedMediansAsync(turns,
            () => Timing.SqlAsync(http, $"SELECT * FROM vector_search('from_sql', (SELECT '{NextLiteral()}'), 10)"), Rest, warmUps: 20);
        Report.Figure(Workload, "vector_search_sql_subquery_added_ms", subquery - searchForSubquery, "budget_ms", 1, lowerIsBetter: true);
        // What any statement costs through POST /v1/sql here, and what DuckDB alone spends on the literal, for scale.
        var (selectOne, searchAgain) = await Timing.PairedMediansAsync(turns, () => Timing.SqlAsync(http, "SELECT 1"), Rest, warmUps: 20);
        Report.Figure(Workload, "select_1_ms", selectOne, "rest_search_k10_ms", searchAgain, lowerIsBetter: true);
        var (literal, selectOneAgain) = await Timing.PairedMediansAsync(turns,
            () => Timing.SqlAsync(http, $"SELECT len({NextLiteral()})"), () => Timing.SqlAsync(http, "SELECT 1"), warmUps: 20);
        Report.Figure(Workload, "literal_128_numbers_ms", literal, "select_1_ms", selectOneAgain, lowerIsBetter: true);
        await FilteredAgainstSqlAsync(http, queries, literals, turns);
    }

    /// <summary>
    /// A 1% filtered search through REST against the brute force a user of the same binary could write
    /// instead: POST /v1/sql ranking the dataset's rows that pass (<c>WHERE bucket = b ORDER BY
    /// list_distance(…) LIMIT 10</c>, faster here than casting both sides to FLOAT[128] for
    /// array_distance), timed in turns, each request with the next vector and bucket. Checks first
    /// that both give the same ids.
    /// </summary>
    static async Task FilteredAgainstSqlAsync(HttpClient http, float[][] queries, string[] literals, int turns)
    {
        object Search(int turn) => new
        {
            vector = queries[turn % queries.Length],
            k = 10,
            filter = new { must = new[] { new { key = "bucket", match = new { value = turn % 100 } } } },
        };
        string BruteForce(int turn) =>
            $"SELECT doc_id FROM docs WHERE bucket = {turn % 100} ORDER BY list_distance(embedding, {literals[turn % literals.Length]}::FLOAT[]) LIMIT 10";
        for (var turn = 0; turn < 10; turn++)
        {
            var searched = await (await http.PostAsJsonAsync("/v1/vectors/indexes/from_sql/search", Search(turn))).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
            var queried = await (await http.PostAsJsonAsync("/v1/sql", new { sql = BruteForce(turn) })).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
            var ours = searched.GetProperty("results").EnumerateArray().Select(hit => hit.GetProperty("id").GetString());
            var theirs = queried.GetProperty("rows").EnumerateArray().Select(row => row[0].GetString());
            if (!ours.SequenceEqual(theirs)) throw new InvalidOperationException($"turn {turn}: the filtered search and the SQL brute force disagree");
        }
        var (nextSearch, nextQuery) = (0, 0);
        var (search, sql) = await Timing.PairedMediansAsync(turns,
            async () => (await http.PostAsJsonAsync("/v1/vectors/indexes/from_sql/search", Search(nextSearch++))).EnsureSuccessStatusCode(),
            () => Timing.SqlAsync(http, BruteForce(nextQuery++)), warmUps: 20);
        Report.Figure(Workload, "filtered_1pct_rest_search_ms", search, "sql_brute_force_over_the_subset_ms", sql, lowerIsBetter: true);
    }
}
