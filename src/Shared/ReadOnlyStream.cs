namespace PortMismatch.Detection.Internal;

/// <summary>
/// What the readers' forward-only input streams share: no seeking, no writing, array reads as span reads, and an inner
/// stream that a wrapping stream may own (disposed with it).
/// </summary>
internal abstract class ReadOnlyStream : Stream
{
    private readonly Stream? _inner;

    /// <summary>A stream that reads from no other stream it owns.</summary>
    protected ReadOnlyStream()
    {
    }

    /// <summary>A stream over <paramref name="inner"/>, which it owns: disposing this stream disposes it.</summary>
    /// <param name="inner">The stream read from.</param>
    protected ReadOnlyStream(Stream inner) => _inner = inner;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Gets the owned inner stream (only for a stream made with one).</summary>
    protected Stream Inner => _inner ?? throw new InvalidOperationException("This stream has no inner stream of its own.");

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public abstract override int Read(Span<byte> buffer);

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner?.Dispose();
        }

        base.Dispose(disposing);
    }
}
