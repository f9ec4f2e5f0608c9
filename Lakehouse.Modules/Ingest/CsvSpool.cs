using System.Buffers;
using System.Threading.Channels;
using Lakehouse.Common;

namespace Lakehouse.Ingest;

/// <summary>
/// Receives the upload while a second task scans the same chunks: validation and type inference are
/// done by the time the last byte has arrived. An upload that fits in one chunk is scanned once it is in. An upload of up to <c>keepBytes</c> stays in memory (a
/// small file usually needs no copy on disk at all); a larger one goes to a temp file as it arrives.
/// Memory stays bounded by the channel (8 chunks of OverlappedCopy.ChunkSize) and <c>keepBytes</c>
/// whatever the file size. A CSV fault stops the upload at once.
/// </summary>
internal static class CsvSpool
{
    /// <summary>What was received: the file's shape, and its bytes when it stayed in memory (else it is at the path given).</summary>
    public sealed record Received(CsvShape Shape, byte[]? Bytes);

    public static async Task<Received> ReceiveAsync(Stream body, Func<string> newPath, int keepBytes, CsvScanner scanner, CancellationToken cancellationToken)
    {
        var first = ArrayPool<byte>.Shared.Rent(OverlappedCopy.ChunkSize);
        int length;
        try
        {
            length = await OverlappedCopy.FillAsync(body, first, cancellationToken);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(first);
            throw;
        }
        if (length < OverlappedCopy.ChunkSize)
        {
            // The whole upload arrived in one chunk (every small file): scanned on this thread. Handing it
            // to a scanning task cost a small file's ingest two thread switches and a channel.
            try
            {
                scanner.Feed(first.AsSpan(0, length));
                var shape = scanner.Finish();
                if (length <= keepBytes) return new Received(shape, first.AsSpan(0, length).ToArray());
                await using var file = new FileStream(newPath(), FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                await file.WriteAsync(first.AsMemory(0, length), cancellationToken);
                return new Received(shape, null);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(first);
            }
        }
        return await ReceiveWhileScanningAsync(body, first, newPath, keepBytes, scanner, cancellationToken);
    }

    /// <summary>An upload of more than one chunk: received here while a second task scans the chunks, the first one given.</summary>
    static async Task<Received> ReceiveWhileScanningAsync(Stream body, byte[] first, Func<string> newPath, int keepBytes, CsvScanner scanner, CancellationToken cancellationToken)
    {
        using var scanFailed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var chunks = Channel.CreateBounded<(byte[] Buffer, int Length)>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        var scan = Task.Run(() => ScanAsync(chunks.Reader, scanner, scanFailed), CancellationToken.None);
        var kept = new MemoryStream();
        var next = first;
        try
        {
            FileStream? file = null;
            try
            {
                while (true)
                {
                    var buffer = next ?? ArrayPool<byte>.Shared.Rent(OverlappedCopy.ChunkSize);
                    // The first chunk is full (else the caller scanned it alone).
                    var length = next is not null ? OverlappedCopy.ChunkSize : await OverlappedCopy.FillAsync(body, buffer, scanFailed.Token);
                    next = null;
                    if (length == 0)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        break;
                    }
                    if (kept is not null && kept.Length + length > keepBytes)
                    {
                        file = new FileStream(newPath(), FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                        await file.WriteAsync(kept.GetBuffer().AsMemory(0, (int)kept.Length), scanFailed.Token);
                        kept = null;
                    }
                    if (kept is not null) kept.Write(buffer, 0, length);
                    else await file!.WriteAsync(buffer.AsMemory(0, length), scanFailed.Token);
                    await chunks.Writer.WriteAsync((buffer, length), scanFailed.Token);
                }
            }
            finally
            {
                if (file is not null) await file.DisposeAsync();
            }
            chunks.Writer.Complete();
        }
        catch (OperationCanceledException) when (scan.IsFaulted)
        {
            // The scanner found a fault and cancelled the upload: its exception is the answer.
        }
        catch (Exception e)
        {
            chunks.Writer.TryComplete(e);
            await scan.ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }
        return new Received(await scan, kept?.ToArray());
    }

    static async Task<CsvShape> ScanAsync(ChannelReader<(byte[] Buffer, int Length)> chunks, CsvScanner scanner, CancellationTokenSource onFault)
    {
        try
        {
            await foreach (var (buffer, length) in chunks.ReadAllAsync())
            {
                try
                {
                    scanner.Feed(buffer.AsSpan(0, length));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            return scanner.Finish();
        }
        catch
        {
            await onFault.CancelAsync();
            while (chunks.TryRead(out var left)) ArrayPool<byte>.Shared.Return(left.Buffer);
            throw;
        }
    }
}
