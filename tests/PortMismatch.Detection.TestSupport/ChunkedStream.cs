namespace PortMismatch.Detection.TestSupport;

/// <summary>
/// A forward-only stream over bytes that returns them in pieces of 1 to <c>maxPiece</c> bytes (seeded), as a pipe or a
/// socket does, so that every buffer boundary of a reader is crossed somewhere.
/// </summary>
public sealed class ChunkedStream(byte[] data, int seed, int maxPiece = 4096) : ForwardOnlyStream
{
    private readonly Random _random = new(seed);
    private int _position;

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(Math.Min(buffer.Length, data.Length - _position), _random.Next(1, maxPiece + 1));
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }
}
