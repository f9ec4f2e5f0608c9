using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lakehouse.Common;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Vectors;

/// <summary>POST /v1/vectors/indexes/{name}/items:from-sql (docs/api.md) over a Parquet file another tool wrote with embedding columns.</summary>
public sealed class IndexFromSqlTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>200 documents: a FLOAT[] list, a DOUBLE[4] array, a title and a year; written by DuckDB itself and registered as "docs".</summary>
    static async Task<HttpClient> WithEmbeddingsAsync(LakehouseFactory host, TempFolder folder)
    {
        var client = host.CreateClient();
        var path = Path.Combine(folder.Path, "embeddings.parquet");
        using (var duck = DuckDb.OpenInMemory())
        using (var command = duck.CreateCommand())
        {
            command.CommandText = $"""
                COPY (
                    SELECT 'd' || i AS doc_id,
                           [sin(i), cos(i), sin(i * 0.5), cos(i * 0.25)]::FLOAT[] AS embedding,
                           [cos(i), sin(i), 1, i / 200.0]::DOUBLE[4] AS embedding_array,
                           'title ' || i AS title, 1990 + i % 30 AS year
                    FROM range(200) t(i) ORDER BY i
                ) TO '{path}' (FORMAT parquet)
                """;
            command.ExecuteNonQuery();
        }
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/v1/storage/objects/external/embeddings.parquet", new ByteArrayContent(await File.ReadAllBytesAsync(path, Cancel)), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/v1/catalog/datasets/docs", new { files = new[] { "external/embeddings.parquet" } }, Cancel)).StatusCode);
        return client;
    }

    static async Task<JsonElement> FromSqlAsync(HttpClient client, string index, string sql, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.PostAsJsonAsync($"/v1/vectors/indexes/{index}/items:from-sql", new { sql }, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task An_index_from_a_query_holds_what_the_same_items_sent_over_REST_hold()
    {
        using var folder = new TempFolder();
        await using var host = new LakehouseFactory();
        var client = await WithEmbeddingsAsync(host, folder);
        foreach (var name in new[] { "from_sql", "from_rest" }) (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name, dim = 4, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();

        var result = await FromSqlAsync(client, "from_sql", "SELECT doc_id AS id, embedding AS vector, title, year FROM docs");
        Assert.Equal(200, result.GetProperty("added").GetInt64());
        Assert.Equal(0, result.GetProperty("updated").GetInt64());
        Assert.Equal(0, result.GetProperty("refused").GetInt64());
        Assert.Equal(200, result.GetProperty("count").GetInt32());

        // The same rows read back as JSON and sent as one REST batch, in the same order.
        var rows = (await client.SqlOkAsync("SELECT doc_id, embedding, title, year FROM docs")).GetProperty("rows").EnumerateArray().ToList();
        var items = rows.Select(r => new { id = r[0].GetString(), vector = r[1].EnumerateArray().Select(v => v.GetSingle()).ToArray(), metadata = new { title = r[2].GetString(), year = r[3].GetInt32() } });
        (await client.PostAsJsonAsync("/v1/vectors/indexes/from_rest/items", new { items }, Cancel)).EnsureSuccessStatusCode();

        var item = await client.JsonAsync("/v1/vectors/indexes/from_sql/items/d7");
        Assert.Equal((await client.JsonAsync("/v1/vectors/indexes/from_rest/items/d7")).GetRawText(), item.GetRawText());
        Assert.Equal("title 7", item.GetProperty("metadata").GetProperty("title").GetString());
        for (var q = 0; q < 10; q++)
        {
            var query = new { vector = new[] { MathF.Sin(q * 0.3f), MathF.Cos(q), 0.1f * q, 0.5f }, k = 10 };
            var a = await (await client.PostAsJsonAsync("/v1/vectors/indexes/from_sql/search", query, Cancel)).Content.ReadAsStringAsync(Cancel);
            var b = await (await client.PostAsJsonAsync("/v1/vectors/indexes/from_rest/search", query, Cancel)).Content.ReadAsStringAsync(Cancel);
            Assert.Equal(b, a);
        }

        // Again from the array column: every row updates.
        var again = await FromSqlAsync(client, "from_sql", "SELECT doc_id AS id, embedding_array AS vector FROM docs");
        Assert.Equal(0, again.GetProperty("added").GetInt64());
        Assert.Equal(200, again.GetProperty("updated").GetInt64());
        var updated = await client.JsonAsync("/v1/vectors/indexes/from_sql/items/d0");
        Assert.Equal([1f, 0f, 1f, 0f], updated.GetProperty("vector").EnumerateArray().Select(v => v.GetSingle()));
    }

    [Fact]
    public async Task Rows_that_cannot_be_items_are_refused_and_reported_and_the_rest_are_stored()
    {
        using var folder = new TempFolder();
        await using var host = new LakehouseFactory();
        var client = await WithEmbeddingsAsync(host, folder);
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "mixed", dim = 4, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        var result = await FromSqlAsync(client, "mixed", """
            SELECT CASE WHEN year = 1991 THEN NULL ELSE doc_id END AS id,
                   CASE WHEN year = 1992 THEN NULL WHEN year = 1993 THEN [1, 2]::FLOAT[] ELSE embedding END AS vector
            FROM docs ORDER BY doc_id
            """);
        var bad = (await client.SqlOkAsync("SELECT count(*) FROM docs WHERE year BETWEEN 1991 AND 1993")).GetProperty("rows")[0][0].GetInt64();
        Assert.Equal(bad, result.GetProperty("refused").GetInt64());
        Assert.Equal(200 - result.GetProperty("refused").GetInt64(), result.GetProperty("added").GetInt64());
        var refusals = result.GetProperty("refusals").EnumerateArray().ToList();
        Assert.Contains(refusals, r => r.GetProperty("detail").GetString()!.Contains(".id must be", StringComparison.Ordinal) && r.GetProperty("id").ValueKind == JsonValueKind.Null);
        Assert.Contains(refusals, r => r.GetProperty("detail").GetString()!.Contains("vector is required", StringComparison.Ordinal));
        Assert.Contains(refusals, r => r.GetProperty("detail").GetString()!.Contains("2 dimensions", StringComparison.Ordinal) && r.GetProperty("row").GetInt64() >= 1);
        Assert.Equal(200 - refusals.Count, (await client.JsonAsync("/v1/vectors/indexes/mixed")).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_repeated_column_name_makes_the_first_the_id_and_the_next_metadata_as_a_subquery_names_them()
    {
        using var folder = new TempFolder();
        await using var host = new LakehouseFactory();
        var client = await WithEmbeddingsAsync(host, folder);
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "mixed", dim = 4, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        var result = await FromSqlAsync(client, "mixed", "SELECT doc_id AS id, embedding AS vector, 'other ' || doc_id AS id, year, year + 1 AS YEAR FROM docs ORDER BY doc_id LIMIT 5");
        Assert.Equal(5, result.GetProperty("added").GetInt64());
        var first = (await client.SqlOkAsync("SELECT doc_id, year FROM docs ORDER BY doc_id LIMIT 1")).GetProperty("rows")[0];
        var id = first[0].GetString()!;
        var metadata = (await client.JsonAsync($"/v1/vectors/indexes/mixed/items/{id}")).GetProperty("metadata");
        Assert.Equal("other " + id, metadata.GetProperty("id_1").GetString());
        Assert.Equal(first[1].GetInt64(), metadata.GetProperty("year").GetInt64());
        Assert.Equal(first[1].GetInt64() + 1, metadata.GetProperty("YEAR_1").GetInt64());
    }

    [Fact]
    public async Task Dates_and_timestamps_a_query_gave_metadata_are_filtered_by_ranges_over_date_times_as_SQL_compares_them()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "events", dim = 2, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        // A DATE a day apart and a TIMESTAMPTZ seven hours apart: metadata "2020-01-01" and "2020-01-01T07:00:00Z".
        const string Source = """
            SELECT 'e' || i AS id, [sin(i), cos(i)]::FLOAT[] AS vector, DATE '2020-01-01' + i::INTEGER AS published,
                   TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_hours(i * 7) AS seen
            FROM range(300) t(i)
            """;
        Assert.Equal(300, (await FromSqlAsync(client, "events", Source)).GetProperty("added").GetInt64());
        (object Filter, string Where)[] cases =
        [
            (new { must = new[] { new { key = "published", range = new { gte = "2020-03-01", lt = "2020-04-01T00:00:00Z" } } } },
                "published >= DATE '2020-03-01' AND published < DATE '2020-04-01'"),
            (new { must = new[] { new { key = "seen", range = new { gt = "2020-01-10T12:00:00+02:00", lte = "2020-02-01" } } } },
                "seen > TIMESTAMPTZ '2020-01-10 12:00:00+02' AND seen <= TIMESTAMPTZ '2020-02-01 00:00:00+00'"),
            (new { must_not = new[] { new { key = "seen", range = new { lt = "2020-03-15 06:00:00" } } } }, "NOT seen < TIMESTAMPTZ '2020-03-15 06:00:00+00'"),
        ];
        foreach (var (filter, where) in cases)
        {
            var expected = (await client.SqlOkAsync($"SELECT id FROM ({Source}) WHERE {where} ORDER BY id")).GetProperty("rows").EnumerateArray().Select(r => r[0].GetString()!).ToList();
            Assert.InRange(expected.Count, 10, 290); // each case passes some items and leaves some
            var text = JsonSerializer.Serialize(filter);
            var listed = await client.JsonAsync($"/v1/vectors/indexes/events/items?limit=1000&filter={Uri.EscapeDataString(text)}");
            Assert.Equal(expected, listed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!));
            // Searches too, over REST and in SQL alike.
            var found = await (await client.PostAsJsonAsync("/v1/vectors/indexes/events/search", new { vector = new[] { 0.3f, 0.9f }, k = 10, filter }, Cancel)).Content.ReadFromJsonAsync<JsonElement>(Cancel);
            var ids = found.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToList();
            Assert.Equal(10, ids.Count);
            Assert.All(ids, id => Assert.Contains(id, expected));
            var sql = await client.SqlOkAsync($"SELECT id FROM vector_search('events', [0.3, 0.9], 10, filter := '{text}') ORDER BY distance");
            Assert.Equal(ids, sql.GetProperty("rows").EnumerateArray().Select(r => r[0].GetString()!));
        }
    }

    [Theory]
    [InlineData("mixed", "SELECT doc_id AS id FROM docs", HttpStatusCode.BadRequest, "\"vector\" column")]
    [InlineData("mixed", "SELECT nothing FROM nowhere", HttpStatusCode.BadRequest, "nowhere")]
    [InlineData("mixed", "", HttpStatusCode.BadRequest, "sql is required")]
    [InlineData("absent", "SELECT doc_id AS id, embedding AS vector FROM docs", HttpStatusCode.NotFound, "absent")]
    public async Task A_query_that_cannot_fill_an_index_is_refused_and_changes_nothing(string index, string sql, HttpStatusCode status, string detail)
    {
        using var folder = new TempFolder();
        await using var host = new LakehouseFactory();
        var client = await WithEmbeddingsAsync(host, folder);
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "mixed", dim = 4 }, Cancel)).EnsureSuccessStatusCode();
        await ProblemAssert.IsProblem(await client.PostAsJsonAsync($"/v1/vectors/indexes/{index}/items:from-sql", new { sql }, Cancel), status, detail);
        Assert.Equal(0, (await client.JsonAsync("/v1/vectors/indexes/mixed")).GetProperty("count").GetInt32());
    }
}
