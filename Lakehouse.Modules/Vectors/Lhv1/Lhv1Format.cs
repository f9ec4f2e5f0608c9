using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Lakehouse.Vectors.Hnsw;

namespace Lakehouse.Vectors.Lhv1;

/// <summary>
/// LHV1, one file per index (docs/api.md): "LHV1", a big-endian u32 envelope length L, L bytes of UTF-8
/// JSON envelope, then the graph. The envelope is padded with spaces to a fixed 4 KiB (still valid
/// JSON) so the graph can be streamed out first and the envelope, which carries its length and
/// CRC-32, written last. Graph bytes, little-endian, slot by slot: flags (1 = free), level, id,
/// vector, metadata, then the neighbour lists of level 0 up to the slot's level. Reading checks
/// everything it can: magic, envelope size and shape, byte count, CRC, and every link's range.
/// </summary>
internal static class Lhv1Format
{
    static readonly byte[] Magic = "LHV1"u8.ToArray();
    const int EnvelopeBytes = 4096;
    const int MaxEnvelopeBytes = 1 << 20;
    const int FormatVersion = 1;
    const int MaxLevel = 16;

    /// <param name="Sequence">The last change the snapshot holds; deltas after it are replayed over it (absent before deltas: 0).</param>
    /// <param name="Incarnation">Which index of this name it is (absent before deltas: "").</param>
    sealed record Envelope(int Version, EnvelopeParams Params, int Count, int Slots, int EntryNode, int EntryLevel, long GraphBytes, uint GraphCrc32,
        long Sequence = 0, string? Incarnation = null);

    sealed record EnvelopeParams(string Name, int Dim, string Metric, int M, int EfConstruction, int EfSearch);

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Writes <paramref name="index"/> to <paramref name="path"/>. The caller holds the index's writer lock.</summary>
    public static void Write(VectorIndex index, string path)
    {
        var graph = index.Graph;
        var store = graph.Current;
        var slots = graph.Count;
        var entry = graph.Entry;
        using var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20);
        file.Write(new byte[8 + EnvelopeBytes]);
        var crc = new Crc32();
        long graphBytes;
        using (var hashing = new HashingStream(file, crc))
        using (var buffered = new BufferedStream(hashing, 1 << 16))
        using (var writer = new BinaryWriter(buffered, Encoding.UTF8, leaveOpen: true))
        {
            var links = new int[graph.MaxM0];
            var vectorBytes = new byte[graph.Dimension * sizeof(float)];
            for (var slot = 0; slot < slots; slot++)
            {
                var id = index.Ids[slot];
                var level = store.Levels[slot];
                writer.Write((byte)(id is null ? 1 : 0));
                writer.Write(level);
                BinaryText.Write(writer, id);
                // Floats as their exact bits: a round trip gives the same distances.
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(graph.Vector(slot)).CopyTo(vectorBytes);
                writer.Write(vectorBytes);
                BinaryText.Write(writer, index.Metadata[slot]);
                for (var l = 0; l <= level; l++)
                {
                    var count = graph.ReadLinks(store, slot, l, links);
                    writer.Write(count);
                    for (var i = 0; i < count; i++) writer.Write(links[i]);
                }
            }
            writer.Flush();
            graphBytes = hashing.Written;
        }
        var envelope = JsonSerializer.SerializeToUtf8Bytes(new Envelope(FormatVersion,
            new EnvelopeParams(index.Params.Name, index.Params.Dim, index.Params.MetricName, index.Params.M, index.Params.EfConstruction, index.Params.EfSearch),
            index.Count, slots, entry?.Node ?? -1, entry?.Level ?? 0, graphBytes, crc.GetCurrentHashAsUInt32(), index.ChangeSequence, index.Incarnation), Json);
        if (envelope.Length > EnvelopeBytes) throw new InvalidOperationException("LHV1 envelope outgrew its reserved space.");
        var header = new byte[8 + EnvelopeBytes];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), EnvelopeBytes);
        header.AsSpan(8).Fill((byte)' ');
        envelope.CopyTo(header, 8);
        file.Position = 0;
        file.Write(header);
    }

    /// <summary>Reads an LHV1 file; InvalidDataException says what is wrong with it.</summary>
    public static VectorIndex Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        Span<byte> head = stackalloc byte[8];
        if (file.ReadAtLeast(head, 8, throwOnEndOfStream: false) < 8 || !head[..4].SequenceEqual(Magic)) throw new InvalidDataException("not an LHV1 file (bad magic)");
        var envelopeLength = BinaryPrimitives.ReadUInt32BigEndian(head[4..]);
        if (envelopeLength > MaxEnvelopeBytes || envelopeLength > file.Length - 8) throw new InvalidDataException($"envelope length {envelopeLength} is impossible for a {file.Length}-byte file");
        var envelopeBytes = new byte[envelopeLength];
        file.ReadExactly(envelopeBytes);
        Envelope envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<Envelope>(envelopeBytes, Json) ?? throw new InvalidDataException("empty envelope");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("the envelope is not valid JSON: " + e.Message, e);
        }
        if (envelope.Version != FormatVersion) throw new InvalidDataException($"unsupported LHV1 version {envelope.Version}");
        if (envelope.GraphBytes != file.Length - 8 - envelopeLength) throw new InvalidDataException($"the graph should be {envelope.GraphBytes} bytes but {file.Length - 8 - envelopeLength} follow (truncated?)");
        var p = envelope.Params ?? throw new InvalidDataException("the envelope has no params");
        IndexParams parameters;
        try
        {
            parameters = IndexParams.Validate(p.Name, p.Dim, p.Metric, p.M, p.EfConstruction, p.EfSearch);
        }
        catch (Common.ProblemException e)
        {
            throw new InvalidDataException("the envelope's params are invalid: " + e.Message, e);
        }
        // The envelope is not covered by the CRC: every count in it is checked against the bytes that
        // are present before anything is allocated from it (a corrupt slot count once overflowed here).
        var smallestSlot = 1 + 1 + 4 + (long)parameters.Dim * sizeof(float) + 4 + 4; // flags, level, id, vector, metadata, level-0 links
        if (envelope.Slots < 0 || envelope.Slots > envelope.GraphBytes / smallestSlot)
        {
            throw new InvalidDataException($"the envelope's {envelope.Slots} slots cannot fit in {envelope.GraphBytes} graph bytes");
        }
        if (envelope.Count < 0 || envelope.Count > envelope.Slots) throw new InvalidDataException($"the envelope's count {envelope.Count} is not within its {envelope.Slots} slots");
        if (envelope.EntryLevel is < 0 or > MaxLevel) throw new InvalidDataException($"the envelope's entry level {envelope.EntryLevel} is out of range");

        var crc = new Crc32();
        var graphStart = file.Position;
        var buffer = new byte[1 << 20];
        int read;
        while ((read = file.Read(buffer)) > 0) crc.Append(buffer.AsSpan(0, read));
        if (crc.GetCurrentHashAsUInt32() != envelope.GraphCrc32) throw new InvalidDataException("the graph's CRC-32 does not match (corrupted)");
        file.Position = graphStart;

        if (envelope.Sequence < 0) throw new InvalidDataException($"the envelope's sequence {envelope.Sequence} is negative");
        var index = new VectorIndex(parameters, envelope.Incarnation ?? "") { ChangeSequence = envelope.Sequence };
        var graph = index.Graph;
        var slots = envelope.Slots;
        if (slots < 0 || (envelope.EntryNode >= slots) || (slots > 0 && envelope.EntryNode < 0)) throw new InvalidDataException("the envelope's slot count or entry point is out of range");
        graph.EnsureCapacity(slots);
        var store = graph.Current;
        var ids = new string?[slots];
        var metadata = new string?[slots];
        using var reader = new BinaryReader(file, Encoding.UTF8, leaveOpen: true);
        var vector = new float[parameters.Dim];
        var links = new int[graph.MaxM0];
        try
        {
            for (var slot = 0; slot < slots; slot++)
            {
                var free = reader.ReadByte() == 1;
                var level = reader.ReadByte();
                if (level > MaxLevel) throw new InvalidDataException($"slot {slot} has level {level}");
                ids[slot] = ReadText(reader);
                if (free != (ids[slot] is null)) throw new InvalidDataException($"slot {slot}'s flags and id disagree");
                reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()));
                metadata[slot] = ReadText(reader);
                var node = graph.Allocate(vector, level);
                if (free) graph.MarkDeleted(node);
                for (var l = 0; l <= level; l++)
                {
                    var count = reader.ReadInt32();
                    if (count < 0 || count > (l == 0 ? graph.MaxM0 : graph.M)) throw new InvalidDataException($"slot {slot} has {count} links at level {l}");
                    for (var i = 0; i < count; i++)
                    {
                        links[i] = reader.ReadInt32();
                        if ((uint)links[i] >= (uint)slots) throw new InvalidDataException($"slot {slot} links to slot {links[i]}, past the end");
                    }
                    graph.WriteLinks(store, node, l, links.AsSpan(0, count));
                }
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the graph ends early", e);
        }
        graph.Restore(slots, envelope.EntryNode, envelope.EntryLevel);
        index.Restore(ids, metadata);
        if (index.Count != envelope.Count) throw new InvalidDataException($"the envelope says {envelope.Count} items, the graph holds {index.Count}");
        return index;
    }

    static string? ReadText(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        if (length == -1) return null;
        if (length < 0 || length > BinaryText.MaxBytes) throw new InvalidDataException($"a text of {length} bytes");
        return Encoding.UTF8.GetString(reader.ReadBytes(length) is { } bytes && bytes.Length == length ? bytes : throw new EndOfStreamException());
    }

    /// <summary>Counts and hashes what passes through to the file.</summary>
    sealed class HashingStream(Stream inner, Crc32 crc) : Stream
    {
        public long Written { get; private set; }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            crc.Append(buffer);
            inner.Write(buffer);
            Written += buffer.Length;
        }

        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
