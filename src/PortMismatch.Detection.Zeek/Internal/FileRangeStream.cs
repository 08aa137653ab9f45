using Microsoft.Win32.SafeHandles;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>Reads the bytes [start, end) of an open file with positional reads, so that several ranges are read at once.</summary>
internal sealed class FileRangeStream(SafeFileHandle file, long start, long end) : Stream
{
    private long _position = start;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = RandomAccess.Read(file, buffer[..Remaining(buffer.Length)], _position);
        _position += n;
        return n;
    }

    /// <summary>
    /// Reads synchronously: a part is read by a thread of its own, and a positional read of a file in the page cache takes
    /// microseconds, while the asynchronous form of a synchronous handle hands every read to another pool thread and back.
    /// </summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<int>(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Remaining(int wanted) => (int)Math.Min(wanted, end - _position);
}
