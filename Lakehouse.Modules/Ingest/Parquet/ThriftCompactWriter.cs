using System.Buffers;
using System.Text;
using Lakehouse.Common;

namespace Lakehouse.Ingest.Parquet;

/// <summary>
/// Thrift's compact protocol, the encoding of every Parquet page header and footer, for the writer's
/// few needs: structs of integers, booleans, binaries and lists, written in field-id order.
/// </summary>
internal sealed class ThriftCompactWriter(IBufferWriter<byte> output)
{
    const byte BooleanTrue = 1, BooleanFalse = 2, I32 = 5, I64 = 6, Binary = 8, List = 9, Struct = 12;

    readonly Stack<short> _outer = new();
    short _lastField;

    public void I32Field(short id, int value)
    {
        FieldHeader(id, I32);
        Varint.WriteZigZag(output, value);
    }

    public void I64Field(short id, long value)
    {
        FieldHeader(id, I64);
        Varint.WriteZigZag(output, value);
    }

    public void BoolField(short id, bool value) => FieldHeader(id, value ? BooleanTrue : BooleanFalse);

    public void BinaryField(short id, ReadOnlySpan<byte> value)
    {
        FieldHeader(id, Binary);
        BinaryValue(value);
    }

    public void StringField(short id, string value) => BinaryField(id, Encoding.UTF8.GetBytes(value));

    /// <summary>Starts a struct field; end it with <see cref="EndStruct"/>.</summary>
    public void StructField(short id)
    {
        FieldHeader(id, Struct);
        BeginStruct();
    }

    /// <summary>A list field of structs: write each element between <see cref="BeginStruct"/> and <see cref="EndStruct"/>.</summary>
    public void StructListField(short id, int count) => ListHeader(id, count, Struct);

    public void I32ListField(short id, IReadOnlyCollection<int> values)
    {
        ListHeader(id, values.Count, I32);
        foreach (var value in values) Varint.WriteZigZag(output, value);
    }

    public void StringListField(short id, IReadOnlyCollection<string> values)
    {
        ListHeader(id, values.Count, Binary);
        foreach (var value in values) BinaryValue(Encoding.UTF8.GetBytes(value));
    }

    public void BeginStruct()
    {
        _outer.Push(_lastField);
        _lastField = 0;
    }

    public void EndStruct()
    {
        Byte(0); // stop
        _lastField = _outer.Pop();
    }

    void ListHeader(short id, int count, byte elementType)
    {
        FieldHeader(id, List);
        if (count < 15)
        {
            Byte((byte)((count << 4) | elementType));
        }
        else
        {
            Byte((byte)(0xF0 | elementType));
            Varint.Write(output, (uint)count);
        }
    }

    void FieldHeader(short id, byte type)
    {
        var delta = id - _lastField;
        if (delta is > 0 and <= 15)
        {
            Byte((byte)((delta << 4) | type));
        }
        else
        {
            Byte(type);
            Varint.WriteZigZag(output, id);
        }
        _lastField = id;
    }

    void BinaryValue(ReadOnlySpan<byte> value)
    {
        Varint.Write(output, (uint)value.Length);
        output.Write(value);
    }

    void Byte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}
