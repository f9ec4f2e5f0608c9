namespace Lakehouse.Storage;

/// <summary>
/// A response body that must yield exactly <paramref name="length"/> bytes: one that ends early
/// (the connection to S3 dropped mid-object) throws instead of looking like a complete object,
/// so a reader never serves or caches a truncated copy as if it were whole.
/// </summary>
internal sealed class ExactLengthStream(Stream inner, long length) : Stream
{
    readonly long _length = length;
    long _remaining = length;

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count), count);

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer), buffer.Length);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken), buffer.Length);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    int Count(int read, int asked)
    {
        if (read == 0 && asked > 0 && _remaining > 0) throw new IOException($"The object's body ended {_remaining} bytes early.");
        _remaining -= read;
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _length - _remaining; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
