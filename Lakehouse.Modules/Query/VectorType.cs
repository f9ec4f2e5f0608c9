using System.Buffers;
using System.Text;
using DuckDB.NET.Native;
using Lakehouse.Common;

namespace Lakehouse.Query;

/// <summary>
/// A DuckDB logical type as the result writers need it, read once per query from the prepared
/// statement: how a vector holds a value (<see cref="Storage"/>: a DECIMAL's integer width, an
/// ENUM's index width), a DECIMAL's scale, an ARRAY's size, nested children with their JSON keys,
/// an ENUM's dictionary, and DuckDB's own name for the type.
/// </summary>
internal sealed class VectorType
{
    VectorType(DuckDBType id, DuckDBType storage, string sqlName)
    {
        Id = id;
        Storage = storage;
        SqlName = sqlName;
    }

    public DuckDBType Id { get; }

    public DuckDBType Storage { get; }

    public string SqlName { get; }

    public int Scale { get; private init; }

    public long ArraySize { get; private init; }

    public VectorType[] Children { get; private init; } = [];

    /// <summary>A STRUCT's or UNION's member names as JSON object keys, quoted and followed by ':'.</summary>
    public byte[][] Keys { get; private init; } = [];

    /// <summary>An ENUM's values as JSON strings, quoted.</summary>
    public byte[][] EnumValues { get; private init; } = [];

    /// <summary>
    /// Units per second of a timestamp: TIMESTAMP_S, _MS and _NS count seconds, milli- and
    /// nanoseconds; the others microseconds.
    /// </summary>
    public long UnitsPerSecond => Id switch
    {
        DuckDBType.TimestampS => 1,
        DuckDBType.TimestampMs => 1_000,
        DuckDBType.TimestampNs => 1_000_000_000,
        _ => 1_000_000,
    };

    /// <summary>The type of a result column; types the writers cannot render are a 400 that says how to get them.</summary>
    public static VectorType Of(DuckDBLogicalType type, string column)
    {
        var id = NativeMethods.LogicalType.DuckDBGetTypeId(type);
        switch (id)
        {
            case DuckDBType.Decimal:
                var width = NativeMethods.LogicalType.DuckDBDecimalWidth(type);
                var scale = NativeMethods.LogicalType.DuckDBDecimalScale(type);
                return new VectorType(id, NativeMethods.LogicalType.DuckDBDecimalInternalType(type), $"DECIMAL({width},{scale})") { Scale = scale };
            case DuckDBType.Enum:
                var values = new byte[NativeMethods.LogicalType.DuckDBEnumDictionarySize(type)][];
                for (var i = 0; i < values.Length; i++) values[i] = JsonString(NativeMethods.LogicalType.DuckDBEnumDictionaryValue(type, i));
                return new VectorType(id, NativeMethods.LogicalType.DuckDBEnumInternalType(type), "ENUM") { EnumValues = values };
            case DuckDBType.List:
                using (var child = NativeMethods.LogicalType.DuckDBListTypeChildType(type))
                {
                    var element = Of(child, column);
                    return new VectorType(id, id, element.SqlName + "[]") { Children = [element] };
                }
            case DuckDBType.Array:
                using (var child = NativeMethods.LogicalType.DuckDBArrayTypeChildType(type))
                {
                    var element = Of(child, column);
                    var size = NativeMethods.LogicalType.DuckDBArrayVectorGetSize(type);
                    return new VectorType(id, id, $"{element.SqlName}[{size}]") { Children = [element], ArraySize = size };
                }
            case DuckDBType.Map:
                using (var key = NativeMethods.LogicalType.DuckDBMapTypeKeyType(type))
                using (var value = NativeMethods.LogicalType.DuckDBMapTypeValueType(type))
                {
                    // A MAP's vector is a LIST of STRUCT(key, value).
                    VectorType[] pair = [Of(key, column), Of(value, column)];
                    var entry = new VectorType(DuckDBType.Struct, DuckDBType.Struct, "") { Children = pair, Keys = [JsonKey("key"), JsonKey("value")] };
                    return new VectorType(id, id, $"MAP({pair[0].SqlName}, {pair[1].SqlName})") { Children = [entry] };
                }
            case DuckDBType.Struct:
                var count = NativeMethods.LogicalType.DuckDBStructTypeChildCount(type);
                var fields = new VectorType[count];
                var names = new string[count];
                for (var i = 0L; i < count; i++)
                {
                    using var child = NativeMethods.LogicalType.DuckDBStructTypeChildType(type, i);
                    fields[i] = Of(child, column);
                    names[i] = NativeMethods.LogicalType.DuckDBStructTypeChildName(type, i);
                }
                var sqlName = $"STRUCT({string.Join(", ", names.Select((name, i) => $"{name} {fields[i].SqlName}"))})";
                return new VectorType(id, id, sqlName) { Children = fields, Keys = [.. names.Select(JsonKey)] };
            case DuckDBType.Varchar when NativeApi.TypeAlias(type) == "JSON":
                return new VectorType(id, id, "JSON");
            default:
                if (!ScalarNames.TryGetValue(id, out var scalarName))
                {
                    throw ProblemException.BadRequest($"Column \"{column}\" has type {id.ToString().ToUpperInvariant()}, which results cannot carry yet; cast it, for example {column}::VARCHAR.");
                }
                return new VectorType(id, id, scalarName);
        }
    }

    static readonly Dictionary<DuckDBType, string> ScalarNames = new()
    {
        [DuckDBType.Boolean] = "BOOLEAN",
        [DuckDBType.TinyInt] = "TINYINT",
        [DuckDBType.SmallInt] = "SMALLINT",
        [DuckDBType.Integer] = "INTEGER",
        [DuckDBType.BigInt] = "BIGINT",
        [DuckDBType.HugeInt] = "HUGEINT",
        [DuckDBType.UnsignedTinyInt] = "UTINYINT",
        [DuckDBType.UnsignedSmallInt] = "USMALLINT",
        [DuckDBType.UnsignedInteger] = "UINTEGER",
        [DuckDBType.UnsignedBigInt] = "UBIGINT",
        [DuckDBType.UnsignedHugeInt] = "UHUGEINT",
        [DuckDBType.Float] = "FLOAT",
        [DuckDBType.Double] = "DOUBLE",
        [DuckDBType.Varchar] = "VARCHAR",
        [DuckDBType.Blob] = "BLOB",
        [DuckDBType.Date] = "DATE",
        [DuckDBType.Time] = "TIME",
        [DuckDBType.Timestamp] = "TIMESTAMP",
        [DuckDBType.TimestampS] = "TIMESTAMP_S",
        [DuckDBType.TimestampMs] = "TIMESTAMP_MS",
        [DuckDBType.TimestampNs] = "TIMESTAMP_NS",
        [DuckDBType.TimestampTz] = "TIMESTAMP WITH TIME ZONE",
        [DuckDBType.Interval] = "INTERVAL",
        [DuckDBType.Uuid] = "UUID",
        [DuckDBType.SqlNull] = "\"NULL\"",
    };

    static byte[] JsonString(string text)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new JsonText(buffer).String(Encoding.UTF8.GetBytes(text));
        return buffer.WrittenSpan.ToArray();
    }

    static byte[] JsonKey(string name) => [.. JsonString(name), (byte)':'];
}
