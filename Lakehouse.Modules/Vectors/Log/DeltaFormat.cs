using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Lakehouse.Vectors.Log;

/// <summary>
/// LHVD, one object per acknowledged batch or delete (docs/api.md, "Persistence: LHV1 and LHVD"): "LHVD",
/// a big-endian u32 header length H, H bytes of UTF-8 JSON header (format version, the index's name,
/// incarnation and parameters, the sequence number, the slot count and entry point after the change,
/// and how many records of each kind follow), the records little-endian, and last a CRC-32 of every
/// byte before it. A torn or altered object fails the CRC or the byte count; one from another index,
/// another incarnation of the same name, or other parameters fails the header check.
/// </summary>
internal static class DeltaFormat
{
    static readonly byte[] Magic = "LHVD"u8.ToArray();
    const int FormatVersion = 1;
    const int MaxHeaderBytes = 64 * 1024;

    sealed record Header(int Version, string Index, string Incarnation, int Dim, string Metric, int M, long Sequence,
        int Slots, int EntryNode, int EntryLevel, int Writes, int Frees, int Lists, long BodyBytes);

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static byte[] Write(VectorDelta delta, IndexParams parameters)
    {
        using var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            foreach (var write in delta.Writes)
            {
                writer.Write(write.Slot);
                writer.Write((byte)write.Level);
                BinaryText.Write(writer, write.Id);
                writer.Write(MemoryMarshal.AsBytes(write.Vector.AsSpan())); // exact bits: a replay gives the same distances
                BinaryText.Write(writer, write.Metadata);
            }
            foreach (var free in delta.Frees)
            {
                writer.Write(free.Slot);
                BinaryText.Write(writer, free.Id);
            }
            foreach (var list in delta.Lists)
            {
                writer.Write(list.Node);
                writer.Write((byte)list.Level);
                writer.Write((ushort)list.Kept); // lists hold up to 2·M = 256 entries
                writer.Write((ushort)list.Tail.Length);
                writer.Write(MemoryMarshal.AsBytes(list.Tail.AsSpan()));
            }
        }
        var header = JsonSerializer.SerializeToUtf8Bytes(new Header(FormatVersion, parameters.Name, delta.Incarnation, parameters.Dim, parameters.MetricName,
            parameters.M, delta.Sequence, delta.SlotCount, delta.EntryNode, delta.EntryLevel, delta.Writes.Count, delta.Frees.Count, delta.Lists.Count, body.Length), Json);
        var bytes = new byte[8 + header.Length + body.Length + 4];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), (uint)header.Length);
        header.CopyTo(bytes, 8);
        body.GetBuffer().AsSpan(0, (int)body.Length).CopyTo(bytes.AsSpan(8 + header.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)));
        return bytes;
    }

    /// <summary>Reads a delta of the index described by <paramref name="parameters"/> and <paramref name="incarnation"/>; InvalidDataException says what is wrong.</summary>
    public static VectorDelta Read(ReadOnlySpan<byte> bytes, IndexParams parameters, string incarnation)
    {
        if (bytes.Length < 12 || !bytes[..4].SequenceEqual(Magic)) throw new InvalidDataException("not an LHVD delta (bad magic)");
        if (Crc32.HashToUInt32(bytes[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..])) throw new InvalidDataException("its CRC-32 does not match (torn or corrupted)");
        var headerLength = BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
        if (headerLength > MaxHeaderBytes || headerLength > bytes.Length - 12) throw new InvalidDataException($"header length {headerLength} is impossible for a {bytes.Length}-byte delta");
        Header header;
        try
        {
            header = JsonSerializer.Deserialize<Header>(bytes.Slice(8, (int)headerLength), Json) ?? throw new InvalidDataException("empty header");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("the header is not valid JSON: " + e.Message, e);
        }
        if (header.Version != FormatVersion) throw new InvalidDataException($"unsupported LHVD version {header.Version}");
        if (header.Index != parameters.Name || header.Incarnation != incarnation) throw new InvalidDataException($"it belongs to index '{header.Index}' incarnation {header.Incarnation}, not this one ({incarnation})");
        if (header.Dim != parameters.Dim || header.Metric != parameters.MetricName || header.M != parameters.M)
        {
            throw new InvalidDataException($"its parameters (dim {header.Dim}, {header.Metric}, m {header.M}) are not the index's");
        }
        var body = bytes.Slice(8 + (int)headerLength, bytes.Length - 12 - (int)headerLength);
        if (header.BodyBytes != body.Length) throw new InvalidDataException($"the header says {header.BodyBytes} body bytes, {body.Length} are present");
        if (header.Writes < 0 || header.Frees < 0 || header.Lists < 0) throw new InvalidDataException("negative record counts");

        var reader = new SpanReader(body);
        var writes = new List<SlotWrite>(Math.Min(header.Writes, body.Length / (parameters.Dim * 4)));
        for (var i = 0; i < header.Writes; i++)
        {
            var slot = reader.Int();
            var level = reader.Byte();
            var id = reader.Text() ?? throw new InvalidDataException($"write {i} has no id");
            var vector = MemoryMarshal.Cast<byte, float>(reader.Bytes(parameters.Dim * sizeof(float))).ToArray();
            writes.Add(new SlotWrite(slot, level, id, vector, reader.Text()));
        }
        var frees = new List<SlotFree>();
        for (var i = 0; i < header.Frees; i++) frees.Add(new SlotFree(reader.Int(), reader.Text() ?? throw new InvalidDataException($"free {i} has no id")));
        var lists = new List<ListChange>(Math.Min(header.Lists, body.Length / 9));
        for (var i = 0; i < header.Lists; i++)
        {
            var node = reader.Int();
            var level = reader.Byte();
            var kept = reader.UShort();
            var tail = MemoryMarshal.Cast<byte, int>(reader.Bytes(reader.UShort() * sizeof(int))).ToArray();
            lists.Add(new ListChange(node, level, kept, tail));
        }
        if (!reader.AtEnd) throw new InvalidDataException("bytes follow the last record");
        return new VectorDelta(header.Sequence, header.Incarnation, header.Slots, header.EntryNode, header.EntryLevel, writes, frees, lists);
    }

    /// <summary>Reads the body's little-endian fields; running past the end is an InvalidDataException.</summary>
    ref struct SpanReader(ReadOnlySpan<byte> span)
    {
        ReadOnlySpan<byte> _rest = span;

        public readonly bool AtEnd => _rest.IsEmpty;

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count < 0 || count > _rest.Length) throw new InvalidDataException("a record runs past the end of the delta");
            var taken = _rest[..count];
            _rest = _rest[count..];
            return taken;
        }

        public int Int() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));

        public byte Byte() => Bytes(1)[0];

        public ushort UShort() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));

        public string? Text()
        {
            var length = Int();
            if (length == -1) return null;
            if (length is < 0 or > BinaryText.MaxBytes) throw new InvalidDataException($"a text of {length} bytes");
            return Encoding.UTF8.GetString(Bytes(length));
        }
    }
}
