using System.Buffers;
using System.Text;
using DuckDB.NET.Native;

namespace Lakehouse.Query;

/// <summary>
/// Renders one element of a DuckDB vector as JSON, following nested types down their child vectors:
/// LIST and ARRAY as arrays, STRUCT as an object, MAP as an object keyed by its keys' text; INTERVAL
/// as an ISO 8601 duration, UUID as its text, BLOB as base64, ENUM as its label. Read through
/// DuckDB.NET's values these lost things (an interval's months, years before 1, DECIMAL(38) past a
/// .NET decimal); read from the vectors they do not.
/// </summary>
internal static unsafe class VectorJson
{
    public static void Write(JsonText json, IntPtr vector, VectorType type, long index)
    {
        var validity = NativeMethods.Vectors.DuckDBVectorGetValidity(vector);
        if (validity != null && (validity[index >> 6] & (1UL << (int)(index & 63))) == 0)
        {
            json.Raw("null"u8);
            return;
        }
        var data = (byte*)NativeMethods.Vectors.DuckDBVectorGetData(vector);
        switch (type.Id)
        {
            case DuckDBType.List:
                var entry = (ulong*)data + (index * 2); // list_entry_t: offset, length
                Elements(json, NativeMethods.Vectors.DuckDBListVectorGetChild(vector), type.Children[0], (long)entry[0], (long)entry[1]);
                break;
            case DuckDBType.Array:
                Elements(json, NativeMethods.Vectors.DuckDBArrayVectorGetChild(vector), type.Children[0], index * type.ArraySize, type.ArraySize);
                break;
            case DuckDBType.Map:
                var pairs = (ulong*)data + (index * 2);
                Map(json, NativeMethods.Vectors.DuckDBListVectorGetChild(vector), type.Children[0], (long)pairs[0], (long)pairs[1]);
                break;
            case DuckDBType.Struct:
                json.Byte((byte)'{');
                for (var i = 0; i < type.Children.Length; i++)
                {
                    if (i > 0) json.Byte((byte)',');
                    json.Raw(type.Keys[i]);
                    Write(json, NativeMethods.Vectors.DuckDBStructVectorGetChild(vector, i), type.Children[i], index);
                }
                json.Byte((byte)'}');
                break;
            default:
                Scalar(json, data, type, index);
                break;
        }
    }

    static void Elements(JsonText json, IntPtr child, VectorType type, long offset, long length)
    {
        json.Byte((byte)'[');
        for (var i = 0L; i < length; i++)
        {
            if (i > 0) json.Byte((byte)',');
            Write(json, child, type, offset + i);
        }
        json.Byte((byte)']');
    }

    /// <summary>A MAP as a JSON object; keys that are not strings are keyed by their JSON text (1 → "1").</summary>
    static void Map(JsonText json, IntPtr entries, VectorType entryType, long offset, long length)
    {
        var keys = NativeMethods.Vectors.DuckDBStructVectorGetChild(entries, 0);
        var values = NativeMethods.Vectors.DuckDBStructVectorGetChild(entries, 1);
        var keyType = entryType.Children[0];
        json.Byte((byte)'{');
        for (var i = 0L; i < length; i++)
        {
            if (i > 0) json.Byte((byte)',');
            if (keyType.Id == DuckDBType.Varchar)
            {
                Write(json, keys, keyType, offset + i);
            }
            else
            {
                var text = new ArrayBufferWriter<byte>();
                Write(new JsonText(text), keys, keyType, offset + i);
                json.String(text.WrittenSpan);
            }
            json.Byte((byte)':');
            Write(json, values, entryType.Children[1], offset + i);
        }
        json.Byte((byte)'}');
    }

    static void Scalar(JsonText json, byte* data, VectorType type, long index)
    {
        switch (type.Storage)
        {
            case DuckDBType.Boolean: json.Raw(data[index] != 0 ? "true"u8 : "false"u8); return;
            case DuckDBType.Varchar when type.SqlName == "JSON": json.Raw(NativeApi.Utf8(data + (index * 16))); return;
            case DuckDBType.Varchar: json.String(NativeApi.Utf8(data + (index * 16))); return;
            case DuckDBType.Blob: json.String(Encoding.ASCII.GetBytes(Convert.ToBase64String(NativeApi.Utf8(data + (index * 16))))); return;
            case DuckDBType.Float: json.Double(((float*)data)[index], single: true); return;
            case DuckDBType.Double: json.Double(((double*)data)[index], single: false); return;
            case DuckDBType.UnsignedBigInt: json.Formatted(((ulong*)data)[index]); return;
            case DuckDBType.UnsignedHugeInt: json.Formatted(((UInt128*)data)[index]); return;
            case DuckDBType.Uuid: json.String(Encoding.ASCII.GetBytes(Uuid(((Int128*)data)[index]))); return;
            case DuckDBType.Interval:
                var interval = data + (index * 16); // months int32, days int32, micros int64
                json.Duration(*(int*)interval, *(int*)(interval + 4), *(long*)(interval + 8));
                return;
            case DuckDBType.SqlNull: json.Raw("null"u8); return;
        }
        var integer = Integer(type.Storage, data, index);
        switch (type.Id)
        {
            case DuckDBType.Decimal: json.Decimal(integer, type.Scale); break;
            case DuckDBType.Enum: json.Raw(type.EnumValues[(long)integer]); break;
            case DuckDBType.Date: json.Date((long)integer); break;
            case DuckDBType.Time: json.Time((long)integer); break;
            case DuckDBType.Timestamp or DuckDBType.TimestampS or DuckDBType.TimestampMs or DuckDBType.TimestampNs or DuckDBType.TimestampTz:
                json.Timestamp((long)integer, type.UnitsPerSecond, type.Id == DuckDBType.TimestampTz);
                break;
            default: json.Formatted(integer); break;
        }
    }

    static Int128 Integer(DuckDBType storage, byte* data, long index) => storage switch
    {
        DuckDBType.TinyInt => ((sbyte*)data)[index],
        DuckDBType.SmallInt => ((short*)data)[index],
        DuckDBType.Integer or DuckDBType.Date => ((int*)data)[index],
        DuckDBType.UnsignedTinyInt => data[index],
        DuckDBType.UnsignedSmallInt => ((ushort*)data)[index],
        DuckDBType.UnsignedInteger => ((uint*)data)[index],
        DuckDBType.HugeInt => ((Int128*)data)[index],
        _ => ((long*)data)[index], // BIGINT, TIME, timestamps
    };

    /// <summary>DuckDB keeps a UUID as a HUGEINT with the top bit flipped (so that they sort as text does).</summary>
    static string Uuid(Int128 stored)
    {
        var bits = (UInt128)stored ^ (UInt128.One << 127);
        var hex = bits.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
