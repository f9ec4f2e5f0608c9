using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;
using Lakehouse.Vectors.Hnsw;

namespace Lakehouse.Tests.Vectors;

/// <summary>
/// Search restricted by metadata, through the API, against a brute-force answer computed here: every
/// result meets the filter, a selective filter still returns k results when k exist (exactly the
/// true nearest, by the exact plan), and a broad one keeps high recall through the graph, on made-up
/// data and on the real vector sets.
/// </summary>
public sealed class FilteredSearchTests
{
    const int Items = 3000;
    const int Dim = 8;
    static readonly string[] Genres = ["jazz", "blues", "rock", "pop", "folk"];

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    sealed record Item(string Id, float[] Vector, string Genre, int Year, int AlbumYear);

    static List<Item> Data()
    {
        var random = new Random(12);
        return [.. Enumerable.Range(0, Items).Select(i => new Item($"i{i}", [.. Enumerable.Range(0, Dim).Select(_ => (float)random.NextDouble())], Genres[i % 5], 1960 + (i * 7 % 60), 1950 + (i % 70)))];
    }

    static async Task<(HttpClient Client, List<Item> Data)> IndexAsync(LakehouseFactory host)
    {
        var client = host.CreateClient();
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "songs", dim = Dim, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        var data = Data();
        foreach (var batch in data.Chunk(1000))
        {
            var items = batch.Select(item => new { id = item.Id, vector = item.Vector, metadata = new { genre = item.Genre, year = item.Year, album = new { year = item.AlbumYear }, tags = new[] { item.Genre, "all" } } });
            (await client.PostAsJsonAsync("/v1/vectors/indexes/songs/items", new { items }, Cancel)).EnsureSuccessStatusCode();
        }
        return (client, data);
    }

    static async Task<List<string>> SearchAsync(HttpClient client, float[] vector, int k, object filter, string index = "songs")
    {
        var response = await client.PostAsJsonAsync($"/v1/vectors/indexes/{index}/search", new { vector, k, filter }, Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancel));
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("results");
        return [.. results.EnumerateArray().Select(r => r.GetProperty("id").GetString()!)];
    }

    static List<string> BruteForce(List<Item> data, float[] query, int k, Func<Item, bool> passes) =>
        [.. data.Where(passes).OrderBy(item => item.Vector.Select((x, j) => (x - query[j]) * (x - query[j])).Sum()).Take(k).Select(item => item.Id)];

    [Fact]
    public async Task Every_result_meets_the_filter_and_selective_filters_still_return_the_true_nearest()
    {
        await using var host = new LakehouseFactory();
        var (client, data) = await IndexAsync(host);
        var byId = data.ToDictionary(item => item.Id);
        var random = new Random(3);
        var cases = new (object Filter, Func<Item, bool> Passes)[]
        {
            // Four fifths of the items (over the exact plan's 2,048): the graph search with the filter applied as it goes.
            (new { must_not = new[] { new { key = "genre", match = new { value = "folk" } } } }, item => item.Genre != "folk"),
            // A fifth: the exact plan.
            (new { must = new[] { new { key = "genre", match = new { value = "jazz" } } } }, item => item.Genre == "jazz"),
            // A handful: the exact plan.
            (new { must = new object[] { new { key = "genre", match = new { value = "blues" } }, new { key = "year", range = new { gte = 1990, lt = 1993 } } } },
                item => item.Genre == "blues" && item.Year is >= 1990 and < 1993),
            // should, must_not, a nested key, an array value and a nested filter.
            (new
            {
                should = new object[] { new { key = "genre", match = new { any = new[] { "rock", "pop" } } }, new { must = new[] { new { key = "album.year", range = new { gt = 2015 } } } } },
                must_not = new object[] { new { key = "year", range = new { lt = 1975 } } },
                must = new object[] { new { key = "tags", match = new { value = "all" } } },
            }, item => (item.Genre is "rock" or "pop" || item.AlbumYear > 2015) && item.Year >= 1975),
        };
        foreach (var (filter, passes) in cases)
        {
            var matching = data.Count(passes);
            var found = 0;
            var total = 0;
            for (var q = 0; q < 10; q++)
            {
                var query = Enumerable.Range(0, Dim).Select(_ => (float)random.NextDouble()).ToArray();
                var results = await SearchAsync(client, query, 10, filter);
                Assert.All(results, id => Assert.True(passes(byId[id]), $"{id} does not meet the filter"));
                Assert.Equal(Math.Min(10, matching), results.Count);
                var truth = BruteForce(data, query, 10, passes);
                if (matching < 2048) Assert.Equal(truth, results); // the exact plan
                found += results.Intersect(truth).Count();
                total += truth.Count;
            }
            Assert.True(found >= total * 0.95, $"recall@10 {found}/{total} with {matching} matching items");
        }
        // Fewer matches than k: all of them, nearest first.
        var few = await SearchAsync(client, new float[Dim], 10, new { must = new object[] { new { key = "year", range = new { gte = 2019 } }, new { key = "genre", match = new { value = "folk" } } } });
        Assert.Equal(BruteForce(data, new float[Dim], 10, item => item.Year >= 2019 && item.Genre == "folk"), few);
    }

    /// <summary>The k nearest of the items <paramref name="passes"/> lets through, by exact distance.</summary>
    static List<string> Nearest(float[][] stored, float[] query, Metric metric, Func<int, bool> passes, int k = 10) =>
        [.. Enumerable.Range(0, stored.Length).Where(passes).OrderBy(i => Distances.Compute(metric, query, stored[i])).Take(k).Select(i => $"w{i}")];

    public static TheoryData<string> RealSets => ["glove", "opensearch"];

    /// <summary>
    /// The real vector sets (GloVe words under cosine, OpenSearch's k-NN set under l2), each item in one of
    /// 100 buckets: filters passing 50%, 10% and 1% of the items keep recall@10 at 0.95 or more against a
    /// brute force over the items they pass, and every result passes. At 50% of GloVe the graph answers.
    /// </summary>
    [Theory]
    [MemberData(nameof(RealSets))]
    public async Task On_the_real_vector_sets_filters_at_50_10_and_1_percent_keep_recall_at_10(string set)
    {
        var (vectors, queries, metric) = set == "glove" ? GloveWithQueries() : OpenSearchWithQueries();
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "songs", dim = vectors[0].Length, metric = metric.ToString().ToLowerInvariant() }, Cancel)).EnsureSuccessStatusCode();
        foreach (var batch in vectors.Select((vector, i) => new { id = $"w{i}", vector, metadata = new { bucket = i % 100 } }).Chunk(2500))
        {
            (await client.PostAsJsonAsync("/v1/vectors/indexes/songs/items", new { items = batch }, Cancel)).EnsureSuccessStatusCode();
        }
        // Cosine compares unit vectors: the index stores them so, and the brute force must too.
        var stored = metric == Metric.Cosine ? [.. vectors.Select(Unit)] : vectors;
        foreach (var percent in new[] { 50, 10, 1 })
        {
            var filter = new { must = new[] { new { key = "bucket", range = new { lt = percent } } } };
            double found = 0, total = 0;
            foreach (var query in queries)
            {
                var results = await SearchAsync(client, query, 10, filter);
                Assert.All(results, id => Assert.True(int.Parse(id[1..], CultureInfo.InvariantCulture) % 100 < percent, $"{id} does not pass bucket < {percent}"));
                var truth = Nearest(stored, metric == Metric.Cosine ? Unit(query) : query, metric, i => i % 100 < percent);
                found += results.Intersect(truth).Count();
                total += truth.Count;
            }
            Assert.True(found >= total * 0.95, $"{set} at {percent}%: recall@10 {found / total:F3}");
        }
    }

    static float[] Unit(float[] vector)
    {
        var copy = (float[])vector.Clone();
        Distances.Normalize(copy);
        return copy;
    }

    static (float[][] Vectors, float[][] Queries, Metric Metric) GloveWithQueries()
    {
        var (_, vectors) = VectorData.Glove();
        var random = new Random(8);
        // Queries near, not at, stored words: a word's vector plus noise.
        var queries = Enumerable.Range(0, 100).Select(_ => vectors[random.Next(vectors.Length)].Select(x => x + ((float)random.NextDouble() - 0.5f) * 0.1f).ToArray()).ToArray();
        return (vectors, queries, Metric.Cosine);
    }

    static (float[][] Vectors, float[][] Queries, Metric Metric) OpenSearchWithQueries()
    {
        var (_, vectors, queries, _) = VectorData.OpenSearch();
        return (vectors, queries, Metric.L2);
    }

    [Fact]
    public async Task A_change_to_the_index_is_seen_by_the_next_search_with_a_filter_already_used()
    {
        await using var host = new LakehouseFactory();
        var (client, _) = await IndexAsync(host);
        var filter = new { must = new[] { new { key = "genre", match = new { value = "jazz" } } } };
        var spot = Enumerable.Repeat(0.5f, Dim).ToArray();
        var before = await SearchAsync(client, spot, 3, filter); // the filter's passing items are now kept
        var item = new { id = "new-jazz", vector = spot, metadata = new { genre = "jazz" } };
        (await client.PostAsJsonAsync("/v1/vectors/indexes/songs/items", new { items = new[] { item } }, Cancel)).EnsureSuccessStatusCode();
        Assert.Equal(["new-jazz", .. before[..2]], await SearchAsync(client, spot, 3, filter));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/vectors/indexes/songs/items/new-jazz", Cancel)).StatusCode);
        Assert.Equal(before, await SearchAsync(client, spot, 3, filter));
    }

    [Fact]
    public async Task Items_a_filter_passes_are_listed_page_by_page_in_id_order_with_their_count()
    {
        await using var host = new LakehouseFactory();
        var (client, data) = await IndexAsync(host);
        var filter = """{"must":[{"key":"genre","match":{"any":["rock","pop"]}}],"must_not":[{"key":"album.year","range":{"lt":1960}}]}""";
        var expected = data.Where(item => item.Genre is "rock" or "pop" && item.AlbumYear >= 1960).Select(item => item.Id).Order(StringComparer.Ordinal).ToList();
        var listed = new List<string>();
        string? after = null;
        do
        {
            var path = $"/v1/vectors/indexes/songs/items?limit=250&filter={Uri.EscapeDataString(filter)}" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}");
            var page = await client.JsonAsync(path);
            Assert.Equal(expected.Count, page.GetProperty("count").GetInt32());
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.True(items.Count <= 250);
            Assert.All(items, item => Assert.Equal(JsonValueKind.Object, item.GetProperty("metadata").ValueKind));
            listed.AddRange(items.Select(item => item.GetProperty("id").GetString()!));
            after = page.GetProperty("next").GetString();
        }
        while (after is not null);
        Assert.Equal(expected, listed);

        // No filter: every item; the default page is 100.
        var all = await client.JsonAsync("/v1/vectors/indexes/songs/items");
        Assert.Equal(Items, all.GetProperty("count").GetInt32());
        Assert.Equal(data.Select(item => item.Id).Order(StringComparer.Ordinal).Take(100), all.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Each_kind_of_condition_passes_the_items_it_names_over_REST_and_SQL()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "tags", dim = 2, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        var metadata = new Dictionary<string, string?>
        {
            ["a"] = """{"genre":"jazz","tags":["x","y"],"loc":{"lon":13.405,"lat":52.52}}""",
            ["b"] = """{"genre":"rock","tags":[],"loc":{"lon":11.582,"lat":48.1351}}""",
            ["c"] = """{"genre":null,"tags":null}""",
            ["d"] = """{"genre":["jazz","blues"],"loc":[{"lon":2.3522,"lat":48.8566},{"lon":13.405,"lat":52.52}]}""",
            ["e"] = """{"other":1}""",
            ["f"] = null,
            ["g"] = """{"genre":{"sub":"bop"},"tags":[null],"loc":{"lon":"13.405","lat":52.52}}""",
        };
        var items = metadata.Select((m, i) => new { id = m.Key, vector = new[] { (float)i, 1f }, metadata = m.Value is null ? (JsonElement?)null : JsonDocument.Parse(m.Value).RootElement });
        (await client.PostAsJsonAsync("/v1/vectors/indexes/tags/items", new { items }, Cancel)).EnsureSuccessStatusCode();
        (string Filter, string[] Passing)[] cases =
        [
            // A value none of these; an array with one such element; no key, null or an object meets no match.
            ("""{"must":[{"key":"genre","match":{"except":["jazz"]}}]}""", ["b", "d"]),
            ("""{"must":[{"is_empty":{"key":"tags"}}]}""", ["b", "c", "d", "e", "f"]),
            ("""{"must":[{"is_empty":{"key":"genre.sub"}}]}""", ["a", "b", "c", "d", "e", "f"]),
            ("""{"must":[{"is_null":{"key":"genre"}}]}""", ["c"]),
            ("""{"must_not":[{"is_null":{"key":"tags"}},{"is_empty":{"key":"genre"}}]}""", ["a", "b", "d", "g"]),
            // Every word, anywhere in one value, in any case.
            ("""{"must":[{"key":"genre","match":{"text":"ZZ JA"}}]}""", ["a", "d"]),
            ("""{"must":[{"key":"genre","match":{"text":"jazz blues"}}]}""", []),
            // An array holds its elements; any other value one; no key, null or [] none.
            ("""{"must":[{"key":"tags","values_count":{"gte":2}}]}""", ["a"]),
            ("""{"must":[{"key":"tags","values_count":{"lt":1}}]}""", ["b", "c", "d", "e", "f"]),
            ("""{"must":[{"key":"genre","values_count":{"gt":0,"lte":1}}]}""", ["a", "b", "g"]),
            // Berlin (a, and d's second point), Munich (b), Paris (d's first); g's text lon is no point.
            ("""{"must":[{"key":"loc","geo_radius":{"center":{"lon":13.4,"lat":52.5},"radius":10000}}]}""", ["a", "d"]),
            ("""{"must":[{"key":"loc","geo_bounding_box":{"top_left":{"lon":5,"lat":55},"bottom_right":{"lon":15,"lat":47}}}]}""", ["a", "b", "d"]),
            ("""{"must":[{"key":"loc","geo_polygon":{"exterior":{"points":[{"lon":5,"lat":47},{"lon":15,"lat":47},{"lon":15,"lat":55},{"lon":5,"lat":55},{"lon":5,"lat":47}]},"interiors":[{"points":[{"lon":13,"lat":52},{"lon":14,"lat":52},{"lon":14,"lat":53},{"lon":13,"lat":53},{"lon":13,"lat":52}]}]}}]}""", ["b"]),
        ];
        foreach (var (filter, passing) in cases)
        {
            var listed = await client.JsonAsync($"/v1/vectors/indexes/tags/items?filter={Uri.EscapeDataString(filter)}");
            Assert.True(passing.SequenceEqual(listed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)), $"{filter}: {listed}");
            var searched = await SearchAsync(client, [0f, 1f], 10, JsonDocument.Parse(filter).RootElement, "tags");
            Assert.Equal(passing, searched.Order(StringComparer.Ordinal));
            var sql = await client.SqlOkAsync($"SELECT id FROM vector_search('tags', [0, 1], 10, filter := '{filter}') ORDER BY id");
            Assert.Equal(passing, sql.GetProperty("rows").EnumerateArray().Select(r => r[0].GetString()!));
        }
    }

    [Theory]
    [InlineData("limit=0", "limit must be a whole number from 1 to 1000, not '0'")]
    [InlineData("limit=1001", "limit must be a whole number from 1 to 1000")]
    [InlineData("limit=ten", "limit must be a whole number")]
    [InlineData("filter=%7Bnope", "filter is not JSON")]
    [InlineData("filter=%7B%22must%22%3A%5B%7B%22match%22%3A%7B%22value%22%3A%22x%22%7D%7D%5D%7D", "filter.must[0] needs a key")] // {"must":[{"match":{"value":"x"}}]}
    public async Task A_bad_listing_is_a_400_naming_the_parameter(string query, string message)
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "songs", dim = 2 }, Cancel)).EnsureSuccessStatusCode();
        await ProblemAssert.IsProblem(await client.GetAsync($"/v1/vectors/indexes/songs/items?{query}", Cancel), HttpStatusCode.BadRequest, message);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/vectors/indexes/nope/items", Cancel)).StatusCode);
    }

    [Theory]
    [InlineData("""{"must":[{"key":"year","range":{}}]}""", "filter.must[0].range needs at least one of gte, gt, lte, lt")]
    [InlineData("""{"maybe":[]}""", "filter.maybe is not a part of a filter")]
    [InlineData("""{"must":{"key":"a"}}""", "filter.must must be an array")]
    [InlineData("""{"should":[{"key":"a","match":{"value":"x"},"range":{"gt":1}}]}""", "filter.should[0] needs exactly one of match, range, values_count")]
    [InlineData("""{"must":[{"match":{"value":"x"}}]}""", "filter.must[0] needs a key")]
    [InlineData("""{"must_not":[{"key":"a","match":{"any":[{"x":1}]}}]}""", "filter.must_not[0].match.any must be an array of strings")]
    [InlineData("""{"must":[{"must":[{"key":"y","range":{"gte":"1990"}}]}]}""", "filter.must[0].must[0].range.gte must be a date-time such as \"2024-01-31\" or \"2024-01-31T10:14:31Z\", not \"1990\"")]
    [InlineData("""{"must":[{"key":"y","range":{"gte":true}}]}""", "filter.must[0].range.gte must be a number, or a date-time")]
    [InlineData("""{"must":[{"key":"y","range":{"gte":1990,"lt":"2024-01-31"}}]}""", "filter.must[0].range mixes numbers and date-times")]
    [InlineData("""[1]""", "filter must be an object")]
    [InlineData("""{"must":[{"has_id":"a"}]}""", "filter.must[0].has_id must be an array of ids")]
    [InlineData("""{"must":[{"has_id":["a",1.5]}]}""", "filter.must[0].has_id[1] must be an id: a string or a whole number")]
    [InlineData("""{"should":[{"has_id":["a"],"key":"b"}]}""", "filter.should[0] has has_id and more")]
    [InlineData("""{"must":[{"key":"a","match":{"except":"x"}}]}""", "filter.must[0].match.except must be an array of strings, numbers or booleans")]
    [InlineData("""{"must":[{"is_empty":"a"}]}""", "filter.must[0].is_empty must be {\"key\": \"…\"}")]
    [InlineData("""{"must":[{"is_null":{"key":"a..b"}}]}""", "filter.must[0].is_null.key 'a..b' has an empty part")]
    [InlineData("""{"must":[{"is_null":{"key":"a"},"key":"a"}]}""", "filter.must[0] has is_null and more")]
    [InlineData("""{"must":[{"key":"a","match":{"text":" "}}]}""", "filter.must[0].match.text must be text with at least one word")]
    [InlineData("""{"must":[{"key":"a","values_count":{"gte":-1}}]}""", "filter.must[0].values_count.gte must be a whole number from 0, not -1")]
    [InlineData("""{"must":[{"key":"a","values_count":{"lt":"2"}}]}""", "filter.must[0].values_count.lt must be a whole number from 0")]
    [InlineData("""{"must":[{"key":"a","values_count":{"most":2}}]}""", "filter.must[0].values_count.most is not a bound")]
    [InlineData("""{"must":[{"key":"a","values_count":{}}]}""", "filter.must[0].values_count needs at least one of gte, gt, lte, lt")]
    [InlineData("""{"must":[{"key":"loc","geo_radius":{"center":{"lon":0,"lat":0},"radius":"far"}}]}""", "filter.must[0].geo_radius.radius must be a distance in metres")]
    [InlineData("""{"should":[{"key":"loc","geo_bounding_box":{"top_left":{"lon":0,"lat":91},"bottom_right":{"lon":1,"lat":0}}}]}""", "filter.should[0].geo_bounding_box.top_left must be a point")]
    [InlineData("""{"must":[{"key":"a","values_count":{"gt":1},"match":{"value":1}}]}""", "filter.must[0] needs exactly one of match, range, values_count, geo_radius, geo_bounding_box and geo_polygon")]
    public async Task A_malformed_filter_is_a_400_naming_the_part(string filter, string message)
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "songs", dim = 2 }, Cancel)).EnsureSuccessStatusCode();
        var body = $$"""{"vector":[1,0],"k":1,"filter":{{filter}}}""";
        var response = await client.PostAsync("/v1/vectors/indexes/songs/search", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Cancel);
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, message);
    }
}
