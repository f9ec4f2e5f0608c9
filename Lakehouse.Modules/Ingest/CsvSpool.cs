using System.Buffers;
using System.Threading.Channels;
using Lakehouse.Common;

namespace Lakehouse.Ingest;

/// <summary>
/// Receives an upload and scans it: validation and type inference are done by the time the last byte
/// has arrived. An upload that fits in one chunk (OverlappedCopy.ChunkSize) is scanned once it is in,
/// and kept in memory when it is at most <c>keepBytes</c> (a small file needs no copy on disk at all).
/// A larger one is received here while a second task scans each chunk and appends it to a temp file,
/// so the network, the scan and the disk overlap. Memory stays bounded by the channel (8 chunks)
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
        await using var spool = new FileStream(newPath(), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        return new Received(await ReceiveWhileScanningAsync(body, first, spool, scanner, cancellationToken), null);
    }

    /// <summary>
    /// An upload of more than one chunk, the first one given: this loop only receives, and the scanning
    /// task scans each chunk and appends it to <paramref name="spool"/>, so a chunk's write never holds up
    /// the next read. (Measured, the receiving is bound by HTTP itself: 286 MB arrive in 0.6-0.7 s at best,
    /// as fast as a storage PUT of the same bytes takes.)
    /// </summary>
    static async Task<CsvShape> ReceiveWhileScanningAsync(Stream body, byte[] first, FileStream spool, CsvScanner scanner, CancellationToken cancellationToken)
    {
        using var scanFailed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var chunks = Channel.CreateBounded<(byte[] Buffer, int Length)>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        var scan = Task.Run(() => ScanAndSpoolAsync(chunks.Reader, scanner, spool, scanFailed), CancellationToken.None);
        try
        {
            await chunks.Writer.WriteAsync((first, OverlappedCopy.ChunkSize), scanFailed.Token);
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(OverlappedCopy.ChunkSize);
                var length = await OverlappedCopy.FillAsync(body, buffer, scanFailed.Token);
                if (length == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }
                await chunks.Writer.WriteAsync((buffer, length), scanFailed.Token);
            }
            chunks.Writer.Complete();
        }
        catch (OperationCanceledException) when (scanFailed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The scanner found a fault (or the disk did) and cancelled the upload: its exception, which
            // awaiting it throws, is the answer. (It may not be marked faulted yet when the cancellation lands here.)
        }
        catch (Exception e)
        {
            chunks.Writer.TryComplete(e);
            await scan.ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }
        return await scan;
    }

    static async Task<CsvShape> ScanAndSpoolAsync(ChannelReader<(byte[] Buffer, int Length)> chunks, CsvScanner scanner, FileStream spool, CancellationTokenSource onFault)
    {
        try
        {
            await foreach (var (buffer, length) in chunks.ReadAllAsync())
            {
                try
                {
                    scanner.Feed(buffer.AsSpan(0, length));
                    spool.Write(buffer, 0, length);
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
