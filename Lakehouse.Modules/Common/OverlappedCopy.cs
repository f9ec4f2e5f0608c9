using System.Buffers;

namespace Lakehouse.Common;

/// <summary>
/// Copies a stream while the previous chunk is still being written: receiving a request body and
/// writing it to disk then overlap instead of taking turns (CopyToAsync alternates them). Chunks are
/// filled to 4 MiB so that the file sees few, large writes rather than one per network segment
/// (1 MiB chunks gave a 256 MiB PUT 0.44–0.55 of a plain write+fsync, 4 MiB 0.58–0.61: storage bench).
/// </summary>
public static class OverlappedCopy
{
    public const int ChunkSize = 4 << 20;

    /// <param name="written">Called after each chunk is written, with its offset and length.</param>
    public static async Task<long> CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken, Action<long, int>? written = null)
    {
        var filling = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var writing = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var pendingWrite = Task.CompletedTask;
        long total = 0;
        try
        {
            while (true)
            {
                var filled = await FillAsync(source, filling, cancellationToken);
                await pendingWrite;
                if (filled == 0) break;
                (filling, writing) = (writing, filling);
                pendingWrite = WriteAsync(destination, writing.AsMemory(0, filled), total, written, cancellationToken);
                total += filled;
            }
            return total;
        }
        finally
        {
            // Never return a buffer a write may still be reading.
            await pendingWrite.ContinueWith(_ => { }, TaskScheduler.Default);
            ArrayPool<byte>.Shared.Return(filling);
            ArrayPool<byte>.Shared.Return(writing);
        }
    }

    static async Task WriteAsync(Stream destination, ReadOnlyMemory<byte> chunk, long offset, Action<long, int>? written, CancellationToken cancellationToken)
    {
        await destination.WriteAsync(chunk, cancellationToken);
        written?.Invoke(offset, chunk.Length);
    }

    /// <summary>Reads until <paramref name="buffer"/>'s first <see cref="ChunkSize"/> bytes are full or the stream ends; the byte count.</summary>
    public static async Task<int> FillAsync(Stream source, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < ChunkSize)
        {
            var read = await source.ReadAsync(buffer.AsMemory(filled, ChunkSize - filled), cancellationToken);
            if (read == 0) break;
            filled += read;
        }
        return filled;
    }
}
