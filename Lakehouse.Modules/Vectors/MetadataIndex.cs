using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// its scalar elements and geo points, the value as a whole says whether the key holds anything (not null, not an
/// empty array), whether it is null and, for an array of two or more, how many elements it has, and
/// a property name that is empty or holds a dot can never be named by a filter, so it is not indexed.
/// </remarks>
/// <param name="metadata">The index's metadata by slot, as it is now: a key is built from the array writers write into, never from one a batch has since outgrown.</param>
internal sealed class MetadataIndex(Func<string?[]> metadata)
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
            Visit(before, (values, value) => values.Remove(slot, value));
            Visit(after, (values, value) => values.Add(slot, value));
        }
    }

    /// <summary>
    /// Runs <paramref name="read"/> with the values of every path in <paramref name="paths"/>, under the
    /// index's lock. A path not indexed yet is indexed first from every slot's metadata as it is now: a
    /// write racing that build stores its metadata before it calls <see cref="Replace"/>, which waits for
    /// the lock, so the build either reads the new metadata or is corrected by the call.
    /// </summary>
    public T Read<T>(IEnumerable<string> paths, Func<Func<string, KeyValues>, T> read)
    {
        lock (_lock)
        {
            var missing = paths.Where(path => !_keys.ContainsKey(path)).Distinct().ToList();
            if (missing.Count > 0)
            {
                var fresh = missing.ToDictionary(path => path, _ => new KeyValues(), StringComparer.Ordinal);
                var texts = metadata();
                for (var slot = 0; slot < texts.Length; slot++)
                {
                    var current = slot;
                    if (texts[slot] is { } text) Visit(text, fresh, (values, value) => values.Add(current, value));
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
            // The value as a whole (an object too: it is there, for is_empty), then the keys below an object.
            if (keys.TryGetValue(path, out var values)) visit(values, property.Value);
            if (property.Value.ValueKind == JsonValueKind.Object) Walk(property.Value, path, keys, visit);
        }
    }

    /// <summary>The slots that hold each value under one key path, by kind of value.</summary>
    internal sealed class KeyValues
    {
        public Dictionary<string, Holders> Strings { get; } = new(StringComparer.Ordinal);

        public Dictionary<double, Holders> Numbers { get; } = [];

        /// <summary>The distinct numbers, for ranges.</summary>
        public SortedSet<double> NumberOrder { get; } = [];

        /// <summary>The slots holding text that is a date-time, by its instant (UTC ticks): "2024-01-31" and "2024-01-31T00:00:00Z" are one.</summary>
        public Dictionary<long, Holders> DateTimes { get; } = [];

        /// <summary>The distinct instants, for ranges over date-times.</summary>
        public SortedSet<long> DateTimeOrder { get; } = [];

        /// <summary>The slots holding each geo point (an object of numbers lon and lat), for geo regions.</summary>
        public Dictionary<GeoPoint, Holders> Points { get; } = [];

        public Holders True { get; private set; } = Holders.None;

        public Holders False { get; private set; } = Holders.None;

        /// <summary>The slots whose value here is something, neither null nor an empty array (is_empty passes the rest); a bit a slot, as most items hold most keys.</summary>
        public BitArray Present { get; } = new(0);

        /// <summary>The slots whose value here is null (is_null), a bit a slot.</summary>
        public BitArray Null { get; } = new(0);

        /// <summary>The slots whose value here is an array of two or more elements, by their number (values_count); one is what the rest of <see cref="Present"/> hold.</summary>
        public Dictionary<long, Holders> Counts { get; } = [];

        /// <summary>The distinct numbers of elements in <see cref="Counts"/>, for values_count's bounds.</summary>
        public SortedSet<long> CountOrder { get; } = [];

        /// <summary>Sets or clears a slot's bit, growing the set (by doubling) to hold it.</summary>
        static void Mark(BitArray bits, int slot, bool value)
        {
            if (slot >= bits.Length)
            {
                if (!value) return;
                bits.Length = Math.Max(slot + 1, bits.Length * 2);
            }
            bits[slot] = value;
        }

        /// <summary>A slot's value at this key: what it is as a whole, and its scalars (an array's elements).</summary>
        public void Add(int slot, JsonElement value) => Change(slot, value, added: true);

        public void Remove(int slot, JsonElement value) => Change(slot, value, added: false);

        void Change(int slot, JsonElement value, bool added)
        {
            if (value.ValueKind == JsonValueKind.Null) Mark(Null, slot, added);
            else if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > 0) Mark(Present, slot, added);
            if (value.ValueKind != JsonValueKind.Array)
            {
                Scalar(slot, value, added);
                return;
            }
            if (value.GetArrayLength() is var count and > 1)
            {
                if (added && Add(Counts, count, slot)) CountOrder.Add(count);
                if (!added && Remove(Counts, count, slot)) CountOrder.Remove(count);
            }
            foreach (var element in value.EnumerateArray()) Scalar(slot, element, added);
        }

        void Scalar(int slot, JsonElement scalar, bool added)
        {
            if (added) AddScalar(slot, scalar);
            else RemoveScalar(slot, scalar);
        }

        void AddScalar(int slot, JsonElement scalar)
        {
            switch (scalar.ValueKind)
            {
                case JsonValueKind.String:
                    var text = scalar.GetString()!;
                    Add(Strings, text, slot);
                    if (DateTimeText.TryParse(text, out var instant) && Add(DateTimes, instant, slot)) DateTimeOrder.Add(instant);
                    break;
                case JsonValueKind.Number:
                    var number = scalar.GetDouble() + 0.0; // −0 is 0, as the filter's == has it
                    if (Add(Numbers, number, slot)) NumberOrder.Add(number);
                    break;
                case JsonValueKind.True:
                    True = True.With(slot);
                    break;
                case JsonValueKind.False:
                    False = False.With(slot);
                    break;
                case JsonValueKind.Object when GeoPoint.TryRead(scalar, out var point):
                    Add(Points, point, slot);
                    break;
            }
        }

        void RemoveScalar(int slot, JsonElement scalar)
        {
            switch (scalar.ValueKind)
            {
                case JsonValueKind.String:
                    var text = scalar.GetString()!;
                    Remove(Strings, text, slot);
                    if (DateTimeText.TryParse(text, out var instant) && Remove(DateTimes, instant, slot)) DateTimeOrder.Remove(instant);
                    break;
                case JsonValueKind.Number:
                    var number = scalar.GetDouble() + 0.0;
                    if (Remove(Numbers, number, slot)) NumberOrder.Remove(number);
                    break;
                case JsonValueKind.True:
                    True = True.Without(slot);
                    break;
                case JsonValueKind.False:
                    False = False.Without(slot);
                    break;
                case JsonValueKind.Object when GeoPoint.TryRead(scalar, out var point):
                    Remove(Points, point, slot);
                    break;
            }
        }

        /// <summary>Adds the slot to the value's holders; true when the value is new to the key.</summary>
        static bool Add<TValue>(Dictionary<TValue, Holders> values, TValue value, int slot) where TValue : notnull
        {
            ref var holders = ref CollectionsMarshal.GetValueRefOrAddDefault(values, value, out var existed);
            holders = existed ? holders.With(slot) : Holders.None.With(slot);
            return !existed;
        }

        /// <summary>Takes the slot from the value's holders; true when no slot holds the value any more (and it is forgotten).</summary>
        static bool Remove<TValue>(Dictionary<TValue, Holders> values, TValue value, int slot) where TValue : notnull
        {
            ref var holders = ref CollectionsMarshal.GetValueRefOrNullRef(values, value);
            if (Unsafe.IsNullRef(ref holders)) return false;
            holders = holders.Without(slot);
            if (!holders.IsEmpty) return false;
            values.Remove(value);
            return true;
        }
    }

    /// <summary>
    /// The slots holding one value. A key with many distinct values (a title, a timestamp) has most of
    /// them held by one slot each, which needs no set (two keys unique to each of 100k items, a title
    /// and a number: 224 bytes an item, against 534 with a set for every value).
    /// </summary>
    internal readonly struct Holders
    {
        readonly int _one; // the one holder when _many is null; −1 for none
        readonly HashSet<int>? _many;

        Holders(int one, HashSet<int>? many) => (_one, _many) = (one, many);

        public static Holders None { get; } = new(-1, null);

        public bool IsEmpty => _many is null && _one < 0;

        public Holders With(int slot) => _many is not null ? Added(_many, slot)
            : _one < 0 || _one == slot ? new(slot, null)
            : new(-1, [_one, slot]);

        public Holders Without(int slot)
        {
            if (_many is null) return _one == slot ? None : this;
            _many.Remove(slot);
            return _many.Count == 1 ? new(_many.First(), null) : this;
        }

        static Holders Added(HashSet<int> many, int slot)
        {
            many.Add(slot);
            return new(-1, many);
        }

        /// <summary>Sets the bit of each holder below the set's length.</summary>
        public void Mark(BitArray bits)
        {
            if (_many is null)
            {
                if (_one >= 0 && _one < bits.Length) bits[_one] = true;
                return;
            }
            foreach (var slot in _many)
            {
                if (slot < bits.Length) bits[slot] = true;
            }
        }
    }
}
