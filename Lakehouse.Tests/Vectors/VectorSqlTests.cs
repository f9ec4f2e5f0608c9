using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lakehouse.Query;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Vectors;

/// <summary>vector_search in SQL (docs/api.md): the REST search's answers as rows, joined with datasets, through POST /v1/query.</summary>
public sealed class VectorSqlTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static async Task<HttpClient> SeededAsync(LakehouseFactory host)
    {
        var client = host.CreateClient();
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "docs", dim = 4, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        var random = new Random(11);
        var items = Enumerable.Range(0, 300).Select(i => new
        {
            id = $"w{i}",
            vector = Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble()).ToArray(),
            metadata = new { team = i % 3 == 0 ? "red" : "blue", year = 1990 + (i % 30) },
        });
        (await client.PostAsJsonAsync("/v1/vectors/indexes/docs/items", new { items }, Cancel)).EnsureSuccessStatusCode();
        await client.IngestOkAsync("workers", "worker_id,name\n" + string.Join("\n", Enumerable.Range(0, 300).Select(i => $"w{i},name {i}")) + "\n");
        return client;
    }

    static async Task<List<(string Id, float Distance, string? Metadata)>> RestAsync(HttpClient client, object request, string index = "docs")
    {
        var response = await client.PostAsJsonAsync($"/v1/vectors/indexes/{index}/search", request, Cancel);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        return [.. body.GetProperty("results").EnumerateArray().Select(r => (r.GetProperty("id").GetString()!, r.GetProperty("distance").GetSingle(),
            r.GetProperty("metadata").ValueKind == JsonValueKind.Null ? null : r.GetProperty("metadata").GetRawText()))];
    }

    static List<(string Id, float Distance, string? Metadata)> Rows(JsonElement result) =>
        [.. result.GetProperty("rows").EnumerateArray().Select(r => (r[0].GetString()!, r[1].GetSingle(), r[2].ValueKind == JsonValueKind.Null ? null : r[2].GetRawText()))];

    [Fact]
    public async Task vector_search_answers_as_the_REST_search_does_with_any_form_of_vector()
    {
        await using var host = new LakehouseFactory();
        var client = await SeededAsync(host);
        var expected = await RestAsync(client, new { vector = new[] { 0.5f, 0.25f, 0.125f, 1f }, k = 7 });
        Assert.Equal(7, expected.Count);

        var literal = await client.SqlOkAsync("SELECT * FROM vector_search('docs', [0.5, 0.25, 0.125, 1.0], 7)");
        Assert.Equal(["id", "distance", "metadata"], literal.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(["VARCHAR", "FLOAT", "JSON"], literal.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("type").GetString()));
        Assert.Equal(expected, Rows(literal));
        Assert.Equal(expected, Rows(await client.SqlOkAsync("SELECT * FROM vector_search('docs', (SELECT [0.5, 0.25, 0.125, 1.0]::FLOAT[]), 7) ORDER BY distance")));
        Assert.Equal(expected, Rows(await client.SqlOkAsync(
            "SELECT v.* FROM (SELECT [0.5, 0.25, 0.125, 1.0]::FLOAT[4] AS q) t, vector_search('docs', t.q, 7) v ORDER BY v.distance")));
        // As text, the form that spares DuckDB binding one constant per number.
        Assert.Equal(expected, Rows(await client.SqlOkAsync("SELECT * FROM vector_search('docs', '[0.5, 0.25, 0.125, 1.0]', 7)")));
        // A list with an expression in it is evaluated by DuckDB (the macro's road).
        Assert.Equal(expected, Rows(await client.SqlOkAsync("SELECT * FROM vector_search('docs', [0.25 + 0.25, 0.25, 0.125, 1.0], 7) ORDER BY distance")));

        // Constants take the table function's road, anything else the macro's (ConstantVectorSearchCalls).
        Assert.Contains(VectorSearchTableFunction.Name.ToUpperInvariant(), Plan(await client.SqlOkAsync("EXPLAIN (FORMAT JSON) SELECT * FROM vector_search('docs', [0.5, 0.25, 0.125, 1.0], 7)")), StringComparison.Ordinal);
        Assert.DoesNotContain(VectorSearchTableFunction.Name.ToUpperInvariant(), Plan(await client.SqlOkAsync("EXPLAIN (FORMAT JSON) SELECT * FROM vector_search('docs', (SELECT [0.5, 0.25, 0.125, 1.0]), 7)")), StringComparison.Ordinal);
    }

    static string Plan(JsonElement explained) => string.Concat(explained.GetProperty("rows").EnumerateArray().Select(r => r[1].GetString()));

    [Fact]
    public async Task An_item_without_metadata_is_a_NULL_metadata_on_both_roads()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "bare", dim = 2, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("/v1/vectors/indexes/bare/items", new { items = new object[] { new { id = "plain", vector = new[] { 1f, 0f } }, new { id = "tagged", vector = new[] { 0f, 1f }, metadata = new { tag = "é" } } } }, Cancel)).EnsureSuccessStatusCode();
        var rest = await RestAsync(client, new { vector = new[] { 1f, 0f }, k = 2 }, "bare");
        Assert.Equal([("plain", 0f), ("tagged", 2f)], rest.Select(r => (r.Id, r.Distance)));
        Assert.Null(rest[0].Metadata);
        // Metadata is the same JSON value on every road; its text may differ (é or \u00E9, 1.50 or 1.5):
        // REST and the table function write it from the stored text, the macro after DuckDB's JSON round trip.
        foreach (var vector in new[] { "[1, 0]", "(SELECT [1, 0])" })
        {
            var rows = Rows(await client.SqlOkAsync($"SELECT * FROM vector_search('bare', {vector}, 2) ORDER BY distance"));
            Assert.Equal(rest.Select(r => (r.Id, r.Distance)), rows.Select(r => (r.Id, r.Distance)));
            Assert.Null(rows[0].Metadata);
            Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(rest[1].Metadata!).RootElement, JsonDocument.Parse(rows[1].Metadata!).RootElement), rows[1].Metadata);
        }
    }

    [Fact]
    public async Task vector_search_joins_a_dataset_and_takes_ef_and_a_filter()
    {
        await using var host = new LakehouseFactory();
        var client = await SeededAsync(host);
        var filter = """{"must":[{"key":"team","match":{"value":"red"}}],"must_not":[{"key":"year","range":{"gte":2010}}]}""";
        var expected = await RestAsync(client, new { vector = new[] { 1f, 0f, 0f, 0f }, k = 5, ef = 100, filter = JsonDocument.Parse(filter).RootElement });
        var joined = await client.SqlOkAsync($"""
            SELECT v.id, v.distance, v.metadata, w.name
            FROM vector_search('docs', [1, 0, 0, 0], 5, ef := 100, filter := '{filter}') v
            JOIN workers w ON w.worker_id = v.id
            ORDER BY v.distance
            """);
        Assert.Equal(expected, Rows(joined));
        Assert.All(joined.GetProperty("rows").EnumerateArray(), r => Assert.Equal("name " + r[0].GetString()![1..], r[3].GetString()));
        Assert.All(expected, hit => Assert.Contains("\"red\"", hit.Metadata, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_lateral_join_searches_once_per_row_with_that_row_s_vector()
    {
        await using var host = new LakehouseFactory();
        var client = await SeededAsync(host);
        var joined = await client.SqlOkAsync("""
            SELECT w.worker_id, v.id, v.distance
            FROM (SELECT * FROM workers ORDER BY worker_id LIMIT 5) w,
                 LATERAL vector_search('docs', [CAST(split_part(w.name, ' ', 2) AS INTEGER) / 300.0, 0.5, 0.25, 1.0], 3) v
            ORDER BY w.worker_id, v.distance
            """);
        var rows = joined.GetProperty("rows").EnumerateArray().Select(r => (Worker: r[0].GetString()!, Id: r[1].GetString()!, Distance: r[2].GetSingle())).ToList();
        var workers = rows.Select(r => r.Worker).Distinct().ToList();
        Assert.Equal(5, workers.Count);
        foreach (var worker in workers)
        {
            var n = int.Parse(worker[1..], System.Globalization.CultureInfo.InvariantCulture);
            var expected = await RestAsync(client, new { vector = new[] { (float)(n / 300.0), 0.5f, 0.25f, 1f }, k = 3 });
            Assert.Equal(expected.Select(e => (e.Id, e.Distance)), rows.Where(r => r.Worker == worker).Select(r => (r.Id, r.Distance)));
        }
    }

    [Fact]
    public async Task A_filter_built_from_a_query_restricts_the_search_to_the_items_of_the_rows_it_picks()
    {
        await using var host = new LakehouseFactory();
        var client = await SeededAsync(host);
        // The rows of a dataset a predicate picks, as has_id: search among exactly those items, with k of them
        // returned however few they are, where a WHERE after the search would keep only those of its top k.
        const string Picked = "SELECT worker_id FROM workers WHERE name LIKE 'name 1%' AND worker_id <> 'w1'";
        var ids = (await client.SqlOkAsync(Picked)).GetProperty("rows").EnumerateArray().Select(r => r[0].GetString()!).ToList();
        Assert.Equal(110, ids.Count); // name 10..19, 100..199
        var vector = new[] { 1f, 0f, 0f, 0f };
        var expected = await RestAsync(client, new { vector, k = 10, filter = new { must = new[] { new { has_id = ids } } } });
        Assert.Equal(10, expected.Count);
        Assert.All(expected, hit => Assert.Contains(hit.Id, ids));
        var rows = Rows(await client.SqlOkAsync($"""
            SELECT v.* FROM vector_search('docs', [1, 0, 0, 0], 10,
                filter := (SELECT json_object('must', [json_object('has_id', list(worker_id))]) FROM ({Picked}))::VARCHAR) v
            ORDER BY v.distance
            """));
        Assert.Equal(expected, rows);
        // has_id with other conditions, and under must_not: the items not named.
        var red = await RestAsync(client, new { vector, k = 300, filter = new { must = new object[] { new { has_id = ids }, new { key = "team", match = new { value = "red" } } } } });
        Assert.Equal(ids.Count(id => int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture) % 3 == 0), red.Count);
        var others = await RestAsync(client, new { vector, k = 300, filter = new { must_not = new[] { new { has_id = ids } } } });
        Assert.Equal(300 - ids.Count, others.Count);
        Assert.DoesNotContain(others, hit => ids.Contains(hit.Id));
    }

    /// <summary>Each bad call, on the table function's road (constants) and the macro's (a subquery's vector), with what its 400 must name.</summary>
    static readonly (string Sql, string Detail)[] BadCalls =
    [
        ("SELECT * FROM vector_search('nope', [1, 0, 0, 0], 3)", "nope"),
        ("SELECT * FROM vector_search('docs', [1, 0], 3)", "vector_search: vector has 2 dimensions"),
        ("SELECT * FROM vector_search('docs', [1, 0, 0, 0], 0)", "k must"),
        ("SELECT * FROM vector_search('docs', [1, 0, 0, 0], 3, filter := '{\"must\":[{\"key\":\"team\"}]}')", "filter.must[0]"),
        ("SELECT * FROM vector_search('docs', 'not a vector', 3)", "list of numbers"),
        ("SELECT * FROM vector_search('docs', [1, 0, 0, 0], 3, filter := 'nope')", "filter is not JSON"),
        ("SELECT * FROM vector_search('docs', [1 0 0 0], 3)", "syntax error"),
        ("SELECT * FROM vector_search('nope', (SELECT [1, 0, 0, 0]), 3)", "nope"),
        ("SELECT * FROM vector_search('docs', (SELECT [1, 0]), 3)", "vector_search: vector has 2 dimensions"),
        ("SELECT * FROM vector_search('docs', (SELECT [1, 0, 0, 0]), 0)", "k must"),
        ("SELECT * FROM vector_search('docs', (SELECT [1, 0, 0, 0]), 3, filter := 'nope')", "filter is not JSON"),
        ("SELECT * FROM vector_search('docs', [1, 0, 0, 0], 100000000)", "vector_search: k must be from 1 to 1000, not 100000000"),
        ("SELECT * FROM vector_search('docs', (SELECT [1, 0, 0, 0]), 100000000)", "vector_search: k must be from 1 to 1000, not 100000000"),
        ("SELECT * FROM vector_search('docs', NULL, 3)", "vector_search: the vector is NULL"),
        ("SELECT * FROM vector_search('docs', (SELECT [1, 0, 0, 0] WHERE false), 3)", "vector_search: the vector is NULL"),
        ("SELECT * FROM vector_search(NULL, [1, 0, 0, 0], 3)", "vector_search: the index name is NULL"),
        ("SELECT * FROM vector_search('docs', [1, 0, 0, 0], NULL)", "vector_search: k is NULL"),
        ("SELECT * FROM vector_search('docs', [1, 0, 0, 0], 2.5)", "vector_search: k must be a whole number from 1 to 1000, not 2.5"),
        ("SELECT * FROM vector_search('docs', [1, 0, 0, 0], 'ten')", "vector_search: k must be a whole number from 1 to 1000, not ten"),
        ("SELECT * FROM vector_search('docs', [1, 0, 0, 0], 3, ef := 0)", "vector_search: ef must be from 1 to 10000, not 0"),
        ("SELECT * FROM vector_search('docs', (SELECT [1, 0, 0, 0]), 3, ef := 20000)", "vector_search: ef must be from 1 to 10000, not 20000"),
        ("SELECT * FROM vector_search('docs', [1, 0, 0, 0], 3, ef := 'wide')", "vector_search: ef must be a whole number from 1 to 10000, not wide"),
        ("SELECT * FROM vector_search('docs', [1, 0, 0, 0], 3, ef := 2.5)", "vector_search: ef must be a whole number from 1 to 10000, not 2.5"),
    ];

    [Fact]
    public async Task A_bad_vector_search_is_a_400_naming_what_is_wrong()
    {
        // One host for every case, not one host each seeded alike.
        await using var host = new LakehouseFactory();
        var client = await SeededAsync(host);
        foreach (var (sql, detail) in BadCalls)
        {
            var problem = await client.SqlAsync(sql);
            var body = await problem.Content.ReadAsStringAsync(Cancel);
            Assert.True(problem.StatusCode == HttpStatusCode.BadRequest && body.Contains(detail, StringComparison.Ordinal), $"{sql}: {(int)problem.StatusCode} {body}");
            Assert.Equal("application/problem+json", problem.Content.Headers.ContentType?.MediaType);
            // The error quotes the SQL as sent, never the text it was routed as.
            var other = await ProblemAssert.IsProblem(await client.SqlAsync(sql + " WHERE no_such_column"), HttpStatusCode.BadRequest, "no_such_column");
            Assert.DoesNotContain(VectorSearchTableFunction.Name, other, StringComparison.Ordinal);
        }
    }
}
