using System.Text.Json;

namespace Lakehouse.Vectors;

/// <summary>
/// An inverted index of item metadata, as a vector database's payload index: for each key path that a
/// filter has named ("genre", "album.year"), which slots hold each value. A filter seen for the first
/// time is then answered from the sets of the values it names, instead of by parsing every item's
/// metadata (tens of milliseconds at 100k items). A key is indexed from every slot the first time a
/// filter names it, and kept up to date by every write after; keys no filter names cost nothing.
/// </summary>
/// <remarks>
/// The paths mirror <see cref="VectorFilter"/>'s reading of metadata exactly: a path descends through
/// objects only, the last of repeated property names wins, an array at the end of a path contributes
/// its scalar elements, and a property name that is empty or holds a dot can never be named by a
/// filter, so it is not indexed.
/// </remarks>
internal sealed class MetadataIndex
{
    readonly Dictionary<string, KeyValues> _keys = new(StringComparer.Ordinal);
    readonly Lock _lock = new();

    int _keyBuilds;

    /// <summary>How many times a key was indexed from every slot's metadata (for tests).</summary>
    internal int KeyBuilds => Volatile.Read(ref _keyBuilds);

    /// <summary>A slot's metadata changed from <paramref name="before"/> to <paramref name="after"/> (null: none, or no item).</summary>
    public void Replace(int slot, string? before, string? after)
    {
        lock (_lock)
        {
            if (_keys.Count == 0 || before == after) return;
            Visit(before, (values, scalar) => values.Remove(slot, scalar));
            Visit(after, (values, scalar) => values.Add(slot, scalar));
        }
    }

    /// <summary>
    /// Runs <paramref name="read"/> with the values of every path in <paramref name="paths"/>, under the
    /// index's lock. A path not indexed yet is indexed first from <paramref name="metadata"/>: a write
    /// racing that build stores its metadata before it calls <see cref="Replace"/>, which waits for the
    /// lock, so the build either reads the new metadata or is corrected by the call.
    /// </summary>
    public T Read<T>(IEnumerable<string> paths, string?[] metadata, Func<Func<string, KeyValues>, T> read)
    {
        lock (_lock)
        {
            var missing = paths.Where(path => !_keys.ContainsKey(path)).Distinct().ToList();
            if (missing.Count > 0)
            {
                var fresh = missing.ToDictionary(path => path, _ => new KeyValues(), StringComparer.Ordinal);
                for (var slot = 0; slot < metadata.Length; slot++)
                {
                    var current = slot;
                    if (metadata[slot] is { } text) Visit(text, fresh, (values, scalar) => values.Add(current, scalar));
                }
                foreach (var (path, values) in fresh) _keys[path] = values;
                _keyBuilds++;
            }
            return read(path => _keys[path]);
        }
    }

    void Visit(string? metadata, Action<KeyValues, JsonElement> visit) => Visit(metadata, _keys, visit);

    static void Visit(string? metadata, Dictionary<string, KeyValues> keys, Action<KeyValues, JsonElement> visit)
    {
        if (metadata is null) return;
        using var document = JsonDocument.Parse(metadata);
        Walk(document.RootElement, "", keys, visit);
    }

    static void Walk(JsonElement value, string prefix, Dictionary<string, KeyValues> keys, Action<KeyValues, JsonElement> visit)
    {
        if (value.ValueKind != JsonValueKind.Object) return;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Backwards: of repeated names, JsonElement.TryGetProperty (the filter's reading) finds the last.
        foreach (var property in value.EnumerateObject().Reverse())
        {
            if (property.Name.Length == 0 || property.Name.Contains('.') || !seen.Add(property.Name)) continue;
            var path = prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}";
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                Walk(property.Value, path, keys, visit);
                continue;
            }
            if (!keys.TryGetValue(path, out var values)) continue;
            if (property.Value.ValueKind == JsonValueKind.Array)
            {
                foreach (var element in property.Value.EnumerateArray()) visit(values, element);
            }
            else
            {
                visit(values, property.Value);
            }
        }
    }

    /// <summary>The slots that hold each value under one key path, by kind of value.</summary>
    internal sealed class KeyValues
    {
        public Dictionary<string, HashSet<int>> Strings { get; } = new(StringComparer.Ordinal);

        public Dictionary<double, HashSet<int>> Numbers { get; } = [];

        /// <summary>The distinct numbers, for ranges.</summary>
        public SortedSet<double> NumberOrder { get; } = [];

        public HashSet<int> True { get; } = [];

        public HashSet<int> False { get; } = [];

        public void Add(int slot, JsonElement scalar)
        {
            switch (scalar.ValueKind)
            {
                case JsonValueKind.String:
                    Set(Strings, scalar.GetString()!).Add(slot);
                    break;
                case JsonValueKind.Number:
                    var number = scalar.GetDouble() + 0.0; // −0 is 0, as the filter's == has it
                    if (!Numbers.ContainsKey(number)) NumberOrder.Add(number);
                    Set(Numbers, number).Add(slot);
                    break;
                case JsonValueKind.True:
                    True.Add(slot);
                    break;
                case JsonValueKind.False:
                    False.Add(slot);
                    break;
            }
        }

        public void Remove(int slot, JsonElement scalar)
        {
            switch (scalar.ValueKind)
            {
                case JsonValueKind.String:
                    Drop(Strings, scalar.GetString()!, slot);
                    break;
                case JsonValueKind.Number:
                    var number = scalar.GetDouble() + 0.0;
                    if (Drop(Numbers, number, slot)) NumberOrder.Remove(number);
                    break;
                case JsonValueKind.True:
                    True.Remove(slot);
                    break;
                case JsonValueKind.False:
                    False.Remove(slot);
                    break;
            }
        }

        static HashSet<int> Set<TValue>(Dictionary<TValue, HashSet<int>> sets, TValue value) where TValue : notnull
        {
            if (!sets.TryGetValue(value, out var set)) sets[value] = set = [];
            return set;
        }

        /// <summary>Drops the slot from the value's set; true when the value is then held by no slot (and forgotten).</summary>
        static bool Drop<TValue>(Dictionary<TValue, HashSet<int>> sets, TValue value, int slot) where TValue : notnull
        {
            if (!sets.TryGetValue(value, out var set) || !set.Remove(slot) || set.Count > 0) return false;
            sets.Remove(value);
            return true;
        }
    }
}
