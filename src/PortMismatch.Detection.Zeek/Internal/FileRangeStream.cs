using Microsoft.Win32.SafeHandles;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>Reads the bytes [start, end) of an open file with positional reads, so that several ranges are read at once.</summary>
internal sealed class FileRangeStream(SafeFileHandle file, long start, long end) : ReadOnlyStream
{
    private long _position = start;

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

    private int Remaining(int wanted) => (int)Math.Min(wanted, end - _position);
}
