using System.Buffers;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>Cuts input into sequences of many segments (streams that return a few bytes per read: <c>ChunkedStream</c> in PortMismatch.Detection.TestSupport).</summary>
public static class Chunking
{
    public static ReadOnlySequence<byte> ToSequence(byte[] data, Random random, int maxSegment)
    {
        if (data.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Segment? first = null, last = null;
        var offset = 0;
        while (offset < data.Length)
        {
            var length = Math.Min(data.Length - offset, random.Next(1, maxSegment + 1));
            var segment = new Segment(data.AsMemory(offset, length));
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.Append(segment);
            }

            last = segment;
            offset += length;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public void Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
        }
    }
}
