using System.Collections;
using System.Globalization;
using System.Text.Json;
using Lakehouse.Vectors;
using Lakehouse.Vectors.Hnsw;

namespace Lakehouse.Tests.Vectors;

/// <summary>
/// The metadata index answers a filter exactly as judging each item's metadata does: random metadata
/// (nested objects, arrays, repeated names, dotted and empty names, every kind of value, dates written
/// several ways, geo points) under random filters (match value/any/except/text, ranges over numbers and over
/// date-times, values_count, geo regions, has_id, is_empty, is_null), through inserts,
/// metadata changes, deletes and slot reuse, with keys indexed before and after the writes that touch them.
/// </summary>
public sealed class MetadataIndexTests
{
    static readonly string[] Names = ["a", "b", "c", "a.b", ""];
    static readonly string[] Paths = ["a", "b", "c", "a.b", "b.c", "a.a", "c.b.a"];
    static readonly string[] Numbers = ["-1", "0", "-0.0", "1", "1.5", "2", "1e400", "3"];
    static readonly string[] Strings = ["\"x\"", "\"y\"", "\"x Y\"", "\"1\"", "\"\"", "\"2024-01-31\"", "\"2024-01-31T00:00:00Z\"", "\"2024-01-31T01:30:00+02:00\"", "\"2024-02-01 12:00:00\"", "\"2024-02-30\""];

    /// <summary>Bounds of ranges over date-times: the same instants as some of <see cref="Strings"/>, written otherwise, and between them.</summary>
    static readonly string[] DateTimes = ["\"2024-01-30T23:30:00Z\"", "\"2024-01-31\"", "\"2024-01-31 00:00:00+00\"", "\"2024-01-31T12:00:00\"", "\"2024-02-01T13:00:00+01:00\"", "\"2024-02-02\""];

    /// <summary>Words of text matches: in some of <see cref="Strings"/> (in another case, too), in none, two at once.</summary>
    static readonly string[] Words = ["x", "X", "1", "2024", "01-31T", "t00", "Z", "q", "2024 31", "x y"];

    /// <summary>Geo points, and objects that are not one (out of range, text, a coordinate missing); of repeated names the last counts.</summary>
    static readonly string[] Points = ["""{"lon":1,"lat":2}""", """{"lat":-2,"lon":1.5}""", """{"lon":179,"lat":0}""", """{"lon":-179,"lat":0.5,"name":"x"}""",
        """{"lon":200,"lat":0}""", """{"lon":"1","lat":2}""", """{"lat":2}""", """{"lon":1,"lat":2,"lon":-179}"""];

    /// <summary>Regions around <see cref="Points"/>: circles, boxes (one across the antimeridian), polygons (one with a hole).</summary>
    static readonly (string Name, string Body)[] Regions =
    [
        ("geo_radius", """{"center":{"lon":1,"lat":2},"radius":0}"""),
        ("geo_radius", """{"center":{"lon":1,"lat":2},"radius":500000}"""),
        ("geo_radius", """{"center":{"lon":180,"lat":0},"radius":200000}"""),
        ("geo_bounding_box", """{"top_left":{"lon":0,"lat":3},"bottom_right":{"lon":2,"lat":-3}}"""),
        ("geo_bounding_box", """{"top_left":{"lon":178,"lat":1},"bottom_right":{"lon":-178,"lat":-1}}"""),
        ("geo_polygon", """{"exterior":{"points":[{"lon":0,"lat":0},{"lon":3,"lat":0},{"lon":0,"lat":4},{"lon":0,"lat":0}]}}"""),
        ("geo_polygon", """{"exterior":{"points":[{"lon":-1,"lat":-3},{"lon":3,"lat":-3},{"lon":3,"lat":3},{"lon":-1,"lat":3},{"lon":-1,"lat":-3}]},"interiors":[{"points":[{"lon":0.5,"lat":1.5},{"lon":1.5,"lat":1.5},{"lon":1.5,"lat":2.5},{"lon":0.5,"lat":2.5},{"lon":0.5,"lat":1.5}]}]}"""),
    ];

    static string Scalar(Random random) => random.Next(4) switch
    {
        0 => Numbers[random.Next(Numbers.Length)],
        1 => Strings[random.Next(Strings.Length)],
        2 => random.Next(2) == 0 ? "true" : "false",
        _ => "null",
    };

    static string Value(Random random, int depth) => random.Next(depth > 1 ? 3 : 5) switch
    {
        0 or 1 => random.Next(4) == 0 ? Points[random.Next(Points.Length)] : Scalar(random),
        2 => $"[{string.Join(',', Enumerable.Range(0, random.Next(4)).Select(_ => random.Next(5) == 0 ? Value(random, depth + 1) : Scalar(random)))}]",
        _ => Metadata(random, depth + 1),
    };

    /// <summary>An object with 0–4 properties, names repeating now and then.</summary>
    static string Metadata(Random random, int depth = 0)
    {
        var properties = Enumerable.Range(0, random.Next(5)).Select(_ => $"{JsonSerializer.Serialize(Names[random.Next(Names.Length)])}:{Value(random, depth)}");
        return $"{{{string.Join(',', properties)}}}";
    }

    static string Condition(Random random, int depth)
    {
        if (depth < 2 && random.Next(5) == 0) return Filter(random, depth + 1);
        if (random.Next(8) == 0) return $"{{\"has_id\":[{string.Join(',', Enumerable.Range(0, random.Next(4)).Select(_ => $"\"i{random.Next(130)}\""))}]}}";
        if (random.Next(6) == 0) return $$$"""{"{{{(random.Next(2) == 0 ? "is_empty" : "is_null")}}}":{"key":{{{JsonSerializer.Serialize(Paths[random.Next(Paths.Length)])}}}}}""";
        var key = JsonSerializer.Serialize(Paths[random.Next(Paths.Length)]);
        if (random.Next(5) == 0 && Regions[random.Next(Regions.Length)] is var (name, body)) return $$$"""{"key":{{{key}}},"{{{name}}}":{{{body}}}}""";
        if (random.Next(6) == 0)
        {
            // One bound or two (four at random would mostly pass nothing).
            var counts = new[] { "gte", "gt", "lte", "lt" }.OrderBy(_ => random.Next()).Take(1 + random.Next(2)).Select(b => $"\"{b}\":{random.Next(4)}");
            return $$$"""{"key":{{{key}}},"values_count":{{{{string.Join(',', counts)}}}}}""";
        }
        if (random.Next(2) == 0)
        {
            var values = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => Scalar(random)).Where(v => v != "null" && v != "1e400").DefaultIfEmpty("1").ToList();
            return random.Next(4) switch
            {
                0 => $$$"""{"key":{{{key}}},"match":{"value":{{{values[0]}}}}}""",
                1 => $$$"""{"key":{{{key}}},"match":{"any":[{{{string.Join(',', values)}}}]}}""",
                2 => $$$"""{"key":{{{key}}},"match":{"except":[{{{string.Join(',', values)}}}]}}""",
                _ => $$$"""{"key":{{{key}}},"match":{"text":"{{{Words[random.Next(Words.Length)]}}}"}}""",
            };
        }
        var overDateTimes = random.Next(3) == 0;
        var bounds = new[] { "gte", "gt", "lte", "lt" }.Where(_ => random.Next(2) == 0)
            .Select(b => $"\"{b}\":{(overDateTimes ? DateTimes[random.Next(DateTimes.Length)] : (random.Next(9) - 2) / 2.0)}")
            .DefaultIfEmpty(overDateTimes ? "\"gt\":\"2024-01-01\"" : "\"gt\":0");
        return $$$"""{"key":{{{key}}},"range":{{{{string.Join(',', bounds)}}}}}""";
    }

    static string Filter(Random random, int depth = 0)
    {
        // At least one part: a condition without one is not read as a nested filter.
        var parts = new[] { "must", "should", "must_not" }.Where(_ => random.Next(2) == 0).DefaultIfEmpty("must_not")
            .Select(part => $"\"{part}\":[{string.Join(',', Enumerable.Range(0, 1 + random.Next(3)).Select(_ => Condition(random, depth)))}]");
        return $"{{{string.Join(',', parts)}}}";
    }

    static VectorFilter Parse(string filter) => VectorFilter.Parse(JsonDocument.Parse(filter).RootElement.Clone());

    /// <summary>The slots <paramref name="filter"/> passes, as the metadata index answers it.</summary>
    static BitArray FromIndex(VectorIndex index, VectorFilter filter)
    {
        var slots = index.Graph.Count;
        BitArray Live() => new([.. index.Ids.Take(slots).Select(id => id is not null)]);
        int SlotOf(string id) => Array.IndexOf(index.Ids, id, 0, slots);
        return index.MetadataIndex.Read(filter.Keys(), key => filter.Passing(new VectorFilter.Slots(key, Live, slots, SlotOf)));
    }

    /// <summary>Asserts that the metadata index passes exactly the slots that judging each item's metadata passes; how many pass.</summary>
    static int AssertIndexPassesWhatJudgementPasses(VectorIndex index, string text)
    {
        var filter = Parse(text);
        var passing = FromIndex(index, filter);
        var passed = 0;
        for (var slot = 0; slot < index.Graph.Count; slot++)
        {
            var expected = index.Ids[slot] is { } held && filter.Holds(held, index.Metadata[slot]);
            Assert.True(expected == passing[slot], $"{text} on {Describe(index, slot)}: judged {expected}, indexed {passing[slot]}");
            if (expected) passed++;
        }
        return passed;
    }

    static string Describe(VectorIndex index, int slot) => $"slot {slot} ({index.Ids[slot] ?? "free"}: {index.Metadata[slot] ?? "no metadata"})";

    [Fact]
    public void Random_filters_over_random_metadata_pass_the_items_each_item_s_own_judgement_passes()
    {
        var random = new Random(17);
        var index = new VectorIndex(new IndexParams("t", 2, Metric.L2, 8, 50, 32));
        var checks = 0;
        for (var round = 0; round < 400; round++)
        {
            var id = $"i{random.Next(120)}";
            if (random.Next(4) == 0) index.Delete(id);
            else index.Upsert([new VectorItem(id, [(float)random.NextDouble(), (float)random.NextDouble()], random.Next(6) == 0 ? null : Metadata(random))]);
            if (round % 4 != 0) continue;
            // A filter, and a lone condition, whose errors no other part of a filter can mask.
            foreach (var text in new[] { Filter(random), $"{{\"must\":[{Condition(random, 2)}]}}" })
            {
                AssertIndexPassesWhatJudgementPasses(index, text);
                checks += index.Graph.Count;
            }
        }
        Assert.True(checks > 5000, $"{checks} slots checked");
    }

    [Fact]
    public void Geo_regions_over_random_points_pass_the_items_each_item_s_own_judgement_passes()
    {
        var random = new Random(23);
        // Points on both sides of the antimeridian, so boxes and circles cross it.
        double Lon() => random.Next(2) == 0 ? 170 + (random.NextDouble() * 10) : -180 + (random.NextDouble() * 10);
        double Lat() => (random.NextDouble() * 20) - 10;
        string Point() => FormattableString.Invariant($$"""{"lon":{{Lon()}},"lat":{{Lat()}}}""");
        string Location() => random.Next(6) switch
        {
            0 => $"[{Point()},{Point()}]",
            1 => random.Next(2) == 0 ? """{"lon":181,"lat":0}""" : "null",
            _ => Point(),
        };
        string Ring(double west, double south, double east, double north) => FormattableString.Invariant(
            $$"""{"points":[{"lon":{{west}},"lat":{{south}}},{"lon":{{east}},"lat":{{south}}},{"lon":{{east}},"lat":{{north}}},{"lon":{{west}},"lat":{{north}}},{"lon":{{west}},"lat":{{south}}}]}""");
        string Region()
        {
            var (a, b) = ((Lon(), Lat()), (Lon(), Lat()));
            var (south, north) = (Math.Min(a.Item2, b.Item2), Math.Max(a.Item2, b.Item2));
            return random.Next(3) switch
            {
                0 => FormattableString.Invariant($$$"""{"geo_radius":{"center":{{{Point()}}},"radius":{{{random.Next(1_500_000)}}}}}"""),
                1 => FormattableString.Invariant($$$$"""{"geo_bounding_box":{"top_left":{"lon":{{{{a.Item1}}}},"lat":{{{{north}}}}},"bottom_right":{"lon":{{{{b.Item1}}}},"lat":{{{{south}}}}}}}"""),
                // A rectangle east of 170° with a hole in it, or a plain one west of −170°.
                _ => random.Next(2) == 0
                    ? $$$"""{"geo_polygon":{"exterior":{{{Ring(170 + random.Next(3), south, 177 + random.Next(3), north)}}},"interiors":[{{{Ring(173, (south + north) / 2, 176, north)}}}]}}"""
                    : $$$"""{"geo_polygon":{"exterior":{{{Ring(-180 + random.Next(5), south, -175 + random.Next(5), north)}}}}}""",
            };
        }
        var index = new VectorIndex(new IndexParams("t", 2, Metric.L2, 8, 50, 32));
        var (checks, passed) = (0, 0);
        for (var round = 0; round < 600; round++)
        {
            var id = $"i{random.Next(150)}";
            if (random.Next(5) == 0) index.Delete(id);
            else index.Upsert([new VectorItem(id, [(float)random.NextDouble(), (float)random.NextDouble()], $$"""{"loc":{{Location()}}}""")]);
            if (round % 3 != 0) continue;
            passed += AssertIndexPassesWhatJudgementPasses(index, $$"""{"must":[{"key":"loc",{{Region()[1..^1]}}}]}""");
            checks += index.Graph.Count;
        }
        Assert.True(passed > checks / 20 && passed < checks / 2, $"{passed} of {checks} slots passed: the regions should pass some points and not others");
    }

    [Fact]
    public void A_new_filter_on_a_key_already_indexed_reads_no_item_s_metadata_and_searches_match_a_brute_force()
    {
        var random = new Random(4);
        var index = new VectorIndex(new IndexParams("t", 4, Metric.L2, 16, 100, 64));
        var items = Enumerable.Range(0, 2000).Select(i => new VectorItem($"i{i}", [.. Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble())], $$"""{"g":{{i % 50}},"tag":"t{{i % 7}}"}""")).ToList();
        index.Upsert(items);
        var group = (VectorItem item) => JsonDocument.Parse(item.Metadata!).RootElement.GetProperty("g").GetInt32();
        for (var g = 0; g < 50; g++)
        {
            var query = items[random.Next(items.Count)].Vector;
            var filter = Parse(string.Create(CultureInfo.InvariantCulture, $$$"""{"must":[{"key":"g","range":{"gte":{{{g}}},"lt":{{{g + 1.5}}}}}]}"""));
            var truth = items.Where(item => group(item) >= g && group(item) < g + 1.5)
                .OrderBy(item => Distances.SquaredL2(query, item.Vector)).Take(10).Select(item => item.Id);
            Assert.Equal(truth, index.Search(query, 10, 64, filter).Select(h => h.Id));
        }
        Assert.Equal(50, index.PassingSets.FullBuilds);
        Assert.Equal(1, index.MetadataIndex.KeyBuilds);
    }
}
