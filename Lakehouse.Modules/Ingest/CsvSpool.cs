using System.Buffers;
using System.Threading.Channels;
using Lakehouse.Common;

namespace Lakehouse.Ingest;

/// <summary>
/// Receives the upload into a temp file while a second task scans the same chunks: validation and
/// type inference are done by the time the last byte has arrived. Memory stays bounded by the
/// channel (8 chunks of OverlappedCopy.ChunkSize) whatever the file size. A CSV fault stops the upload at once.
/// </summary>
internal static class CsvSpool
{
    public static async Task<CsvShape> ReceiveAsync(Stream body, string path, CsvScanner scanner, CancellationToken cancellationToken)
    {
        using var scanFailed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var chunks = Channel.CreateBounded<(byte[] Buffer, int Length)>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        var scan = Task.Run(() => ScanAsync(chunks.Reader, scanner, scanFailed), CancellationToken.None);
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(OverlappedCopy.ChunkSize);
                var length = await OverlappedCopy.FillAsync(body, buffer, scanFailed.Token);
                if (length == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }
                await file.WriteAsync(buffer.AsMemory(0, length), scanFailed.Token);
                await chunks.Writer.WriteAsync((buffer, length), scanFailed.Token);
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
        return await scan;
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
