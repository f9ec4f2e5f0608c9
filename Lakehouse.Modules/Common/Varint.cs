using System.Buffers;

namespace Lakehouse.Common;

/// <summary>
/// Base-128 varints, low group first, as Thrift's compact protocol (Parquet's headers and footers) and
/// Avro write their integers; signed values zig-zag first, so that small negatives stay short.
/// </summary>
public static class Varint
{
    public static void Write(IBufferWriter<byte> output, ulong value)
    {
        var span = output.GetSpan(10);
        var length = 0;
        while (value >= 0x80)
        {
            span[length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[length++] = (byte)value;
        output.Advance(length);
    }

    public static void WriteZigZag(IBufferWriter<byte> output, long value) => Write(output, (ulong)((value << 1) ^ (value >> 63)));
}
