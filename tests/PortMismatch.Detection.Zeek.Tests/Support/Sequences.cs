using System.Buffers;

namespace PortMismatch.Detection.Zeek.Tests.Support;

/// <summary>Builds multi-segment sequences cut where a test says.</summary>
public static class Sequences
{
    public static ReadOnlySequence<byte> Cut(byte[] data, IEnumerable<int> cuts)
    {
        var ends = cuts.Where(c => c > 0 && c < data.Length).Distinct().Order().Append(data.Length).ToList();
        Segment? first = null, last = null;
        var start = 0;
        foreach (var end in ends)
        {
            var memory = data.AsMemory(start, end - start);
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
            start = end;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary>A stream of a line header plus <c>length</c> bytes of 'a' without a line feed, produced without buffering it.</summary>
public sealed class EndlessLineStream(byte[] prefix, long length, byte[] suffix) : Stream
{
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = prefix.Length + length + suffix.Length;
        var n = (int)Math.Min(buffer.Length, total - _position);
        for (var i = 0; i < n; i++, _position++)
        {
            buffer[i] = _position < prefix.Length ? prefix[_position]
                : _position < prefix.Length + length ? (byte)'a'
                : suffix[_position - prefix.Length - length];
        }

        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
