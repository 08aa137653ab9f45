namespace PortMismatch.Detection.Internal;

/// <summary>A read-only stream that yields a few bytes already read from another stream, then the rest of it (to sniff gzip magic on unseekable input).</summary>
/// <param name="prefix">The bytes already read.</param>
/// <param name="prefixLength">How many of them.</param>
/// <param name="inner">The rest of the input.</param>
/// <param name="ownsInner">Whether disposing this stream disposes <paramref name="inner"/> (a stream made for it, such as a decompressor).</param>
internal sealed class PrefixedStream(byte[] prefix, int prefixLength, Stream inner, bool ownsInner = false) : ReadOnlyStream
{
    private int _prefixPosition;

    protected override void Dispose(bool disposing)
    {
        if (disposing && ownsInner)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override int Read(Span<byte> buffer)
    {
        if (_prefixPosition < prefixLength)
        {
            var n = Math.Min(buffer.Length, prefixLength - _prefixPosition);
            prefix.AsSpan(_prefixPosition, n).CopyTo(buffer);
            _prefixPosition += n;
            return n;
        }

        return inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_prefixPosition < prefixLength)
        {
            return new ValueTask<int>(Read(buffer.Span));
        }

        return inner.ReadAsync(buffer, cancellationToken);
    }
}
