using System.Collections;
using System.Text.Json;
using Lakehouse.Common;

namespace Lakehouse.Vectors;

/// <summary>
/// A search filter over item metadata, in the shape vector-database users know (Qdrant's):
/// <c>{"must": [cond…], "should": [cond…], "must_not": [cond…]}</c>. An item passes when it meets every
/// must, none of must_not, and at least one should when should is given. A condition is
/// <c>{"key": "genre", "match": {"value": "jazz"}}</c>, <c>{"key": …, "match": {"any": [...]}}</c>,
/// <c>{"key": "year", "range": {"gte": 1990, "lt": 2000}}</c> (or over date-times: <c>{"gte": "2024-01-31"}</c>;
/// keys nest by dots: "album.year"), <c>{"key": …, "match": {"except": [...]}}</c>,
/// <c>{"key": …, "match": {"text": "red shirt"}}</c>, <c>{"key": …, "values_count": {"gte": 2}}</c>,
/// <c>{"key": …, "geo_radius" | "geo_bounding_box" | "geo_polygon": {…}}</c> (<see cref="GeoRegion"/>), <c>{"has_id": ["a", "b"]}</c>,
/// <c>{"is_empty": {"key": …}}</c>, <c>{"is_null": {"key": …}}</c>, or a nested filter. A value that is an
/// array meets a match, range or geo region when one of its elements does.
/// </summary>
internal sealed class VectorFilter
{
    readonly IReadOnlyList<Condition> _must, _should, _mustNot;

    VectorFilter(IReadOnlyList<Condition> must, IReadOnlyList<Condition> should, IReadOnlyList<Condition> mustNot) =>
        (_must, _should, _mustNot) = (must, should, mustNot);

    abstract record Condition
    {
        public abstract bool Holds(string id, JsonElement metadata);

        /// <summary>The slots below <see cref="Slots.Count"/> that meet the condition, from the metadata index.</summary>
        public abstract BitArray Passing(Slots slots);

        public abstract IEnumerable<string> Keys();
    }

    /// <summary>What evaluating over the metadata index needs: a key's values, every live slot, how many slots there are, and an id's slot (−1: none).</summary>
    internal sealed record Slots(Func<string, MetadataIndex.KeyValues> Key, Func<BitArray> Live, int Count, Func<string, int> SlotOf);

    sealed record Nested(VectorFilter Filter) : Condition
    {
        public override bool Holds(string id, JsonElement metadata) => Filter.Holds(id, metadata);

        public override BitArray Passing(Slots slots) => Filter.Passing(slots);

        public override IEnumerable<string> Keys() => Filter.Keys();
    }

    /// <summary>Qdrant's <c>{"has_id": [...]}</c>: the items of these ids, whatever their metadata.</summary>
    sealed record HasId(IReadOnlySet<string> Ids) : Condition
    {
        public override bool Holds(string id, JsonElement metadata) => Ids.Contains(id);

        public override BitArray Passing(Slots slots)
        {
            var passing = new BitArray(slots.Count);
            foreach (var id in Ids)
            {
                if (slots.SlotOf(id) is var slot && slot >= 0 && slot < slots.Count) passing[slot] = true;
            }
            return passing;
        }

        public override IEnumerable<string> Keys() => [];
    }

    /// <summary>The value at <paramref name="path"/>, through objects only; false when the item has none there.</summary>
    static bool TryResolve(JsonElement metadata, string[] path, out JsonElement value)
    {
        value = metadata;
        foreach (var part in path)
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(part, out value)) return false;
        }
        return true;
    }

    /// <summary>Qdrant's <c>{"is_empty": {"key": …}}</c>: the key is missing, null, or an empty array.</summary>
    sealed record IsEmpty(string[] Path) : Condition
    {
        public override bool Holds(string id, JsonElement metadata) =>
            !TryResolve(metadata, Path, out var value) || value.ValueKind == JsonValueKind.Null || (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0);

        public override BitArray Passing(Slots slots)
        {
            var present = new BitArray(slots.Key(string.Join('.', Path)).Present) { Length = slots.Count };
            return slots.Live().And(present.Not());
        }

        public override IEnumerable<string> Keys() => [string.Join('.', Path)];
    }

    /// <summary>Qdrant's <c>{"is_null": {"key": …}}</c>: the key is there and null.</summary>
    sealed record IsNull(string[] Path) : Condition
    {
        public override bool Holds(string id, JsonElement metadata) => TryResolve(metadata, Path, out var value) && value.ValueKind == JsonValueKind.Null;

        public override BitArray Passing(Slots slots) => new(slots.Key(string.Join('.', Path)).Null) { Length = slots.Count };

        public override IEnumerable<string> Keys() => [string.Join('.', Path)];
    }

    /// <summary>
    /// Qdrant's <c>{"key": …, "values_count": {"gte": 2}}</c>: how many values the key holds, within the
    /// bounds. An array holds its elements; any other value holds one; a missing key, null or [] holds none
    /// (what is_empty passes).
    /// </summary>
    sealed record ValuesCount(string[] Path, Bounds<long> Bounds) : Condition
    {
        public override bool Holds(string id, JsonElement metadata) => Bounds.Within(CountOf(metadata));

        long CountOf(JsonElement metadata)
        {
            if (!TryResolve(metadata, Path, out var value)) return 0;
            return value.ValueKind switch
            {
                JsonValueKind.Null => 0,
                JsonValueKind.Array => value.GetArrayLength(),
                _ => 1,
            };
        }

        public override BitArray Passing(Slots slots)
        {
            var values = slots.Key(string.Join('.', Path));
            var present = new BitArray(values.Present) { Length = slots.Count };
            var passing = new BitArray(slots.Count);
            // The index keeps the slots of each count from 2 up; 1 is every slot holding something but
            // those, and 0 every live slot holding nothing.
            if (Bounds.Within(0)) passing.Or(slots.Live().And(new BitArray(present).Not()));
            if (Bounds.Within(1))
            {
                var many = new BitArray(slots.Count);
                foreach (var holders in values.Counts.Values) holders.Mark(many);
                passing.Or(present.And(many.Not()));
            }
            foreach (var count in Bounds.Of(values.CountOrder, 2, long.MaxValue)) values.Counts[count].Mark(passing);
            return passing;
        }

        public override IEnumerable<string> Keys() => [string.Join('.', Path)];
    }

    sealed record Field(string[] Path, Test Test) : Condition
    {
        public override bool Holds(string id, JsonElement metadata)
        {
            if (!TryResolve(metadata, Path, out var value)) return false;
            return value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Any(Test.Holds) : Test.Holds(value);
        }

        public override BitArray Passing(Slots slots)
        {
            var passing = new BitArray(slots.Count);
            foreach (var holders in Test.Holders(slots.Key(string.Join('.', Path)))) holders.Mark(passing);
            return passing;
        }

        public override IEnumerable<string> Keys() => [string.Join('.', Path)];
    }

    /// <summary>What a key's value (or one element of an array value) must be.</summary>
    abstract record Test
    {
        public abstract bool Holds(JsonElement value);

        /// <summary>The holders of each value that passes, from the index.</summary>
        public abstract IEnumerable<MetadataIndex.Holders> Holders(MetadataIndex.KeyValues values);
    }

    sealed record MatchTest(IReadOnlyList<JsonElement> Values) : Test
    {
        public override bool Holds(JsonElement value) => Values.Any(v => Same(value, v));

        public override IEnumerable<MetadataIndex.Holders> Holders(MetadataIndex.KeyValues values) => Values.Select(value => value.ValueKind switch
        {
            JsonValueKind.String => values.Strings.GetValueOrDefault(value.GetString()!, MetadataIndex.Holders.None),
            JsonValueKind.Number => values.Numbers.GetValueOrDefault(value.GetDouble() + 0.0, MetadataIndex.Holders.None),
            JsonValueKind.True => values.True,
            _ => values.False,
        });
    }

    /// <summary>Qdrant's <c>{"match": {"except": [...]}}</c>: a string, number or boolean that is none of these.</summary>
    sealed record ExceptTest(IReadOnlyList<JsonElement> Values) : Test
    {
        public override bool Holds(JsonElement value) => IsScalar(value) && !Values.Any(v => Same(value, v));

        public override IEnumerable<MetadataIndex.Holders> Holders(MetadataIndex.KeyValues values)
        {
            var strings = Values.Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToHashSet(StringComparer.Ordinal);
            var numbers = Values.Where(v => v.ValueKind == JsonValueKind.Number).Select(v => v.GetDouble() + 0.0).ToHashSet();
            var holders = values.Strings.Where(v => !strings.Contains(v.Key)).Select(v => v.Value)
                .Concat(values.Numbers.Where(v => !numbers.Contains(v.Key)).Select(v => v.Value));
            if (!Values.Any(v => v.ValueKind == JsonValueKind.True)) holders = holders.Append(values.True);
            if (!Values.Any(v => v.ValueKind == JsonValueKind.False)) holders = holders.Append(values.False);
            return holders;
        }
    }

    /// <summary>
    /// Qdrant's <c>{"match": {"text": "red shirt"}}</c>: text that holds every word of it (split at white
    /// space), each anywhere and ignoring case, as Qdrant's text match does on a field without a
    /// full-text index: "shirt" passes "T-Shirts".
    /// </summary>
    sealed record TextTest(string[] Words) : Test
    {
        public override bool Holds(JsonElement value) => value.ValueKind == JsonValueKind.String && HoldsEveryWord(value.GetString()!);

        bool HoldsEveryWord(string text) => Words.All(word => text.Contains(word, StringComparison.OrdinalIgnoreCase));

        public override IEnumerable<MetadataIndex.Holders> Holders(MetadataIndex.KeyValues values) =>
            values.Strings.Where(v => HoldsEveryWord(v.Key)).Select(v => v.Value);
    }

    /// <summary>Qdrant's geo_radius, geo_bounding_box and geo_polygon: a point (<c>{"lon": …, "lat": …}</c>) in the region.</summary>
    sealed record GeoTest(GeoRegion Region) : Test
    {
        public override bool Holds(JsonElement value) => GeoPoint.TryRead(value, out var point) && Region.Contains(point);

        public override IEnumerable<MetadataIndex.Holders> Holders(MetadataIndex.KeyValues values) =>
            values.Points.Where(v => Region.Contains(v.Key)).Select(v => v.Value);
    }

    /// <summary>A range's bounds, over numbers or instants: any of gte, gt, lte and lt.</summary>
    readonly record struct Bounds<T>(T? Gte, T? Gt, T? Lte, T? Lt) where T : struct, IComparable<T>
    {
        public bool Within(T x) =>
            (Gte is not { } gte || x.CompareTo(gte) >= 0) && (Gt is not { } gt || x.CompareTo(gt) > 0)
            && (Lte is not { } lte || x.CompareTo(lte) <= 0) && (Lt is not { } lt || x.CompareTo(lt) < 0);

        /// <summary>The values of <paramref name="order"/> within the bounds; <paramref name="least"/> and <paramref name="most"/> stand for an open end.</summary>
        public IEnumerable<T> Of(SortedSet<T> order, T least, T most)
        {
            var low = Max(Gte ?? least, Gt ?? least);
            var high = Min(Lte ?? most, Lt ?? most);
            if (low.CompareTo(high) > 0) return [];
            // The view is inclusive at both ends; Within drops an excluded end.
            return order.GetViewBetween(low, high).Where(Within);
        }

        static T Max(T a, T b) => a.CompareTo(b) >= 0 ? a : b;

        static T Min(T a, T b) => a.CompareTo(b) <= 0 ? a : b;
    }

    sealed record RangeTest(Bounds<double> Bounds) : Test
    {
        public override bool Holds(JsonElement value) => value.ValueKind == JsonValueKind.Number && Bounds.Within(value.GetDouble());

        public override IEnumerable<MetadataIndex.Holders> Holders(MetadataIndex.KeyValues values) =>
            Bounds.Of(values.NumberOrder, double.NegativeInfinity, double.PositiveInfinity).Select(x => values.Numbers[x]);
    }

    /// <summary>A range over date-times (<see cref="DateTimeText"/>), in UTC ticks: what Qdrant calls a datetime range.</summary>
    sealed record DateTimeRangeTest(Bounds<long> Bounds) : Test
    {
        public override bool Holds(JsonElement value) =>
            value.ValueKind == JsonValueKind.String && DateTimeText.TryParse(value.GetString()!, out var ticks) && Bounds.Within(ticks);

        public override IEnumerable<MetadataIndex.Holders> Holders(MetadataIndex.KeyValues values) =>
            Bounds.Of(values.DateTimeOrder, long.MinValue, long.MaxValue).Select(x => values.DateTimes[x]);
    }

    /// <summary>The filter in <paramref name="json"/>, or a 400 naming the part that is wrong ("filter.must[1].range").</summary>
    public static VectorFilter Parse(JsonElement json, string where = "filter")
    {
        if (json.ValueKind != JsonValueKind.Object) throw Bad(where, "must be an object with must, should and/or must_not");
        foreach (var property in json.EnumerateObject())
        {
            if (property.Name is not ("must" or "should" or "must_not")) throw Bad($"{where}.{property.Name}", "is not a part of a filter (must, should, must_not)");
        }
        return new VectorFilter(Conditions(json, "must", where), Conditions(json, "should", where), Conditions(json, "must_not", where)) { Text = json.GetRawText() };
    }

    /// <summary>The filter as it was written: what the index's cache of passing items is keyed by.</summary>
    public string Text { get; private init; } = "";

    static List<Condition> Conditions(JsonElement filter, string part, string where)
    {
        if (!filter.TryGetProperty(part, out var list)) return [];
        if (list.ValueKind != JsonValueKind.Array) throw Bad($"{where}.{part}", "must be an array of conditions");
        return [.. list.EnumerateArray().Select((condition, i) => ConditionOf(condition, $"{where}.{part}[{i}]"))];
    }

    static Condition ConditionOf(JsonElement condition, string where)
    {
        if (condition.ValueKind != JsonValueKind.Object) throw Bad(where, "must be an object");
        if (condition.TryGetProperty("must", out _) || condition.TryGetProperty("should", out _) || condition.TryGetProperty("must_not", out _))
        {
            return new Nested(Parse(condition, where));
        }
        if (condition.TryGetProperty("has_id", out _)) return IdsOf(condition, where);
        if (condition.TryGetProperty("is_empty", out _)) return new IsEmpty(KeyOf(condition, "is_empty", where));
        if (condition.TryGetProperty("is_null", out _)) return new IsNull(KeyOf(condition, "is_null", where));
        if (!condition.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String || key.GetString() is not { Length: > 0 } path)
        {
            throw Bad(where, "needs a key (a metadata field, nested by dots) with match, range, values_count or a geo region, has_id, is_empty, is_null, or must/should/must_not");
        }
        var parts = PathOf(path, $"{where}.key");
        var given = FieldTests.Where(test => condition.TryGetProperty(test, out _)).ToList();
        if (given.Count != 1) throw Bad(where, $"needs exactly one of {string.Join(", ", FieldTests[..^1])} and {FieldTests[^1]}");
        var (name, json) = (given[0], condition.GetProperty(given[0]));
        return name switch
        {
            "match" => new Field(parts, Match(json, $"{where}.match")),
            "range" => new Field(parts, Range(json, $"{where}.range")),
            "values_count" => new ValuesCount(parts, CountBounds(json, $"{where}.values_count")),
            _ => new Field(parts, new GeoTest(GeoRegion.Parse(name, json, $"{where}.{name}"))),
        };
    }

    /// <summary>What a condition on a key may test, one of them.</summary>
    static readonly string[] FieldTests = ["match", "range", "values_count", "geo_radius", "geo_bounding_box", "geo_polygon"];

    static string[] PathOf(string key, string where)
    {
        var parts = key.Split('.');
        return parts.Any(p => p.Length == 0) ? throw Bad(where, $"'{key}' has an empty part") : parts;
    }

    /// <summary>The key of an is_empty or is_null condition (<paramref name="name"/>), <c>{"key": "…"}</c>; the condition stands alone.</summary>
    static string[] KeyOf(JsonElement condition, string name, string where)
    {
        if (condition.EnumerateObject().Count() > 1) throw Bad(where, $"has {name} and more; {name} stands alone");
        var inner = condition.GetProperty(name);
        where = $"{where}.{name}";
        if (inner.ValueKind != JsonValueKind.Object || !inner.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String || key.GetString() is not { Length: > 0 } path
            || inner.EnumerateObject().Count() > 1)
        {
            throw Bad(where, "must be {\"key\": \"…\"}, the metadata field, nested by dots");
        }
        return PathOf(path, $"{where}.key");
    }

    /// <summary>The ids of a has_id condition: strings, or whole numbers taken as their text (as items:from-sql takes a number id).</summary>
    static HasId IdsOf(JsonElement condition, string where)
    {
        if (condition.EnumerateObject().Count() > 1) throw Bad(where, "has has_id and more; has_id stands alone");
        var ids = condition.GetProperty("has_id");
        where += ".has_id";
        if (ids.ValueKind != JsonValueKind.Array) throw Bad(where, "must be an array of ids");
        var set = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var id in ids.EnumerateArray())
        {
            set.Add(id.ValueKind switch
            {
                JsonValueKind.String => id.GetString()!,
                JsonValueKind.Number when id.TryGetInt64(out var whole) => whole.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => throw Bad($"{where}[{i}]", "must be an id: a string or a whole number"),
            });
            i++;
        }
        return new HasId(set);
    }

    static Test Match(JsonElement match, string where)
    {
        if (match.ValueKind == JsonValueKind.Object && match.TryGetProperty("value", out var value))
        {
            if (!IsScalar(value)) throw Bad($"{where}.value", "must be a string, number or boolean");
            return new MatchTest([value.Clone()]);
        }
        if (match.ValueKind == JsonValueKind.Object && match.TryGetProperty("any", out var any))
        {
            if (any.ValueKind != JsonValueKind.Array || !any.EnumerateArray().All(IsScalar)) throw Bad($"{where}.any", "must be an array of strings, numbers or booleans");
            return new MatchTest([.. any.EnumerateArray().Select(v => v.Clone())]);
        }
        if (match.ValueKind == JsonValueKind.Object && match.TryGetProperty("except", out var except))
        {
            if (except.ValueKind != JsonValueKind.Array || !except.EnumerateArray().All(IsScalar)) throw Bad($"{where}.except", "must be an array of strings, numbers or booleans");
            return new ExceptTest([.. except.EnumerateArray().Select(v => v.Clone())]);
        }
        if (match.ValueKind == JsonValueKind.Object && match.TryGetProperty("text", out var text))
        {
            var words = text.ValueKind == JsonValueKind.String ? text.GetString()!.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) : [];
            if (words.Length == 0) throw Bad($"{where}.text", "must be text with at least one word");
            return new TextTest(words);
        }
        throw Bad(where, "must be {\"value\": …}, {\"any\": […]}, {\"except\": […]} or {\"text\": \"…\"}");
    }

    /// <summary>The bounds of a values_count: any of gte, gt, lte and lt, each a whole number from 0.</summary>
    static Bounds<long> CountBounds(JsonElement bounds, string where)
    {
        if (bounds.ValueKind != JsonValueKind.Object) throw Bad(where, "must be an object of gte, gt, lte and/or lt");
        foreach (var property in bounds.EnumerateObject())
        {
            if (property.Name is not ("gte" or "gt" or "lte" or "lt")) throw Bad($"{where}.{property.Name}", "is not a bound (gte, gt, lte, lt)");
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt64(out var whole) || whole < 0) throw Bad($"{where}.{property.Name}", $"must be a whole number from 0, not {property.Value.GetRawText()}");
        }
        if (!bounds.EnumerateObject().Any()) throw Bad(where, "needs at least one of gte, gt, lte, lt");
        long? Bound(string name) => bounds.TryGetProperty(name, out var bound) ? bound.GetInt64() : null;
        return new Bounds<long>(Bound("gte"), Bound("gt"), Bound("lte"), Bound("lt"));
    }

    /// <summary>A range over numbers, or over date-times when its bounds are text: one kind, never both.</summary>
    static Test Range(JsonElement range, string where)
    {
        if (range.ValueKind != JsonValueKind.Object) throw Bad(where, "must be an object of gte, gt, lte and/or lt");
        foreach (var property in range.EnumerateObject())
        {
            if (property.Name is not ("gte" or "gt" or "lte" or "lt")) throw Bad($"{where}.{property.Name}", "is not a bound (gte, gt, lte, lt)");
            if (property.Value.ValueKind is not (JsonValueKind.Number or JsonValueKind.String))
            {
                throw Bad($"{where}.{property.Name}", "must be a number, or a date-time such as \"2024-01-31\" or \"2024-01-31T10:14:31Z\"");
            }
        }
        var bounds = range.EnumerateObject().ToList();
        if (bounds.Count == 0) throw Bad(where, "needs at least one of gte, gt, lte, lt");
        if (bounds.All(b => b.Value.ValueKind == JsonValueKind.Number))
        {
            double? Number(string name) => range.TryGetProperty(name, out var bound) ? bound.GetDouble() : null;
            return new RangeTest(new Bounds<double>(Number("gte"), Number("gt"), Number("lte"), Number("lt")));
        }
        if (bounds.Any(b => b.Value.ValueKind == JsonValueKind.Number)) throw Bad(where, "mixes numbers and date-times; its bounds must be one or the other");
        long? Instant(string name)
        {
            if (!range.TryGetProperty(name, out var bound)) return null;
            return DateTimeText.TryParse(bound.GetString()!, out var ticks)
                ? ticks
                : throw Bad($"{where}.{name}", $"must be a date-time such as \"2024-01-31\" or \"2024-01-31T10:14:31Z\", not {JsonSerializer.Serialize(bound.GetString())}");
        }
        return new DateTimeRangeTest(new Bounds<long>(Instant("gte"), Instant("gt"), Instant("lte"), Instant("lt")));
    }

    static bool IsScalar(JsonElement value) => value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False;

    static bool Same(JsonElement candidate, JsonElement value) => (candidate.ValueKind, value.ValueKind) switch
    {
        (JsonValueKind.String, JsonValueKind.String) => candidate.GetString() == value.GetString(),
        (JsonValueKind.Number, JsonValueKind.Number) => candidate.GetDouble() == value.GetDouble(),
        (JsonValueKind.True or JsonValueKind.False, JsonValueKind.True or JsonValueKind.False) => candidate.ValueKind == value.ValueKind,
        _ => false,
    };

    static ProblemException Bad(string where, string problem) => ProblemException.BadRequest($"{where} {problem}.");

    public bool Holds(string id, JsonElement metadata) =>
        _must.All(c => c.Holds(id, metadata)) && !_mustNot.Any(c => c.Holds(id, metadata)) && (_should.Count == 0 || _should.Any(c => c.Holds(id, metadata)));

    /// <summary>Every key path the filter names, nested filters' included.</summary>
    public IEnumerable<string> Keys() => _must.Concat(_should).Concat(_mustNot).SelectMany(c => c.Keys());

    /// <summary>The slots that pass, as <see cref="Holds(JsonElement)"/> would judge each, from the metadata index.</summary>
    public BitArray Passing(Slots slots)
    {
        var passing = _must.Count == 0 ? slots.Live() : _must[0].Passing(slots);
        foreach (var condition in _must.Skip(1)) passing.And(condition.Passing(slots));
        foreach (var condition in _mustNot) passing.And(condition.Passing(slots).Not());
        if (_should.Count > 0)
        {
            var any = new BitArray(slots.Count);
            foreach (var condition in _should) any.Or(condition.Passing(slots));
            passing.And(any);
        }
        return passing;
    }

    /// <summary>Whether the item <paramref name="id"/> with this metadata text (null: none) passes; an item without metadata meets no match, range or geo region (it meets is_empty, and a values_count that admits 0).</summary>
    public bool Holds(string id, string? metadata)
    {
        if (metadata is null) return Holds(id, default(JsonElement));
        using var document = JsonDocument.Parse(metadata);
        return Holds(id, document.RootElement);
    }
}
