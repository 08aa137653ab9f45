using System.Buffers.Binary;
using System.IO.Compression;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.Zeek.Tests.Internal;

/// <summary>
/// The places where the shared gzip reader (src/Shared/GzipReadStream.cs) must find the end of a member's deflate data
/// without being told it: deflate data that ends exactly where a read of the source ends, at the 16th and the 17th byte
/// of the member's deflate data (the last byte given to the inflater one at a time, and the first byte after), and
/// exactly at the end of a chunk the inflater asked for (8 KiB). Each member is built to the byte (deflate data from
/// <see cref="DeflateStream"/> padded by a stored block, or stored and fixed-Huffman blocks written bit by bit) and
/// followed by the end, another member, other bytes, a cut trailer, no trailer or a trailer with a wrong CRC-32; each is
/// read in one piece, split at the end of the deflate data, and byte by byte, with sync and async reads.
/// </summary>
public sealed class GzipReadStreamEdgeTests
{
    private const int InflaterRead = 8192;          // what DeflateStream asks of its input (checked below)
    private const int OneAtATime = 16;              // the first bytes of a member's deflate data, given to the inflater one by one
    private const int FirstChunkEnd = OneAtATime + InflaterRead;
    private static readonly byte[] Header = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3];
    private static readonly byte[] Garbage = "not gzip\n"u8.ToArray();
    private static readonly CompressedInputError Error = static (message, byteOffset) => new Damaged(message, byteOffset);

    public static TheoryData<int, string> Ends => new()
    {
        { OneAtATime - 1, "end" }, { OneAtATime, "end" }, { OneAtATime + 1, "end" }, { OneAtATime + 2, "end" },
        { OneAtATime, "member" }, { OneAtATime + 1, "member" }, { OneAtATime, "garbage" }, { OneAtATime + 1, "garbage" },
        { OneAtATime, "cut-trailer" }, { OneAtATime + 1, "cut-trailer" }, { OneAtATime, "no-trailer" }, { OneAtATime + 1, "no-trailer" },
        { OneAtATime, "bad-crc" }, { OneAtATime + 1, "bad-crc" },
        { FirstChunkEnd - 1, "end" }, { FirstChunkEnd, "end" }, { FirstChunkEnd + 1, "end" },
        { FirstChunkEnd, "member" }, { FirstChunkEnd, "garbage" }, { FirstChunkEnd, "cut-trailer" }, { FirstChunkEnd, "no-trailer" },
        { FirstChunkEnd, "bad-crc" }, { FirstChunkEnd + 1, "garbage" }, { FirstChunkEnd - 1, "garbage" },
        { FirstChunkEnd + InflaterRead, "end" }, { FirstChunkEnd + InflaterRead, "member" }, { FirstChunkEnd + InflaterRead, "garbage" },
        { FirstChunkEnd + InflaterRead, "no-trailer" },
    };

    [Fact]
    public void The_inflater_asks_its_input_for_8_KiB_at_a_time_so_the_chunk_boundaries_here_are_where_they_are_said_to_be()
    {
        var (deflate, content) = DeflateOfLength(3 * InflaterRead, seed: 1);
        var input = new RecordingStream(deflate);
        using var inflater = new DeflateStream(input, CompressionMode.Decompress);
        var output = new MemoryStream();
        var buffer = new byte[100_000];
        for (int n; (n = inflater.Read(buffer)) > 0;)
        {
            output.Write(buffer, 0, n);
        }

        Assert.Equal(content, output.ToArray());
        Assert.Equal([InflaterRead, InflaterRead, InflaterRead], input.Requests.Take(3));
    }

    [Theory]
    [MemberData(nameof(Ends))]
    public void A_member_whose_deflate_data_ends_at_an_edge_is_read_or_refused_at_the_exact_byte(int deflateLength, string after)
    {
        var (deflate, content) = DeflateOfLength(deflateLength, seed: deflateLength);
        CheckEveryWay(deflate, content, after);
    }

    [Theory]
    [InlineData(OneAtATime - 1)]
    [InlineData(OneAtATime)]
    [InlineData(OneAtATime + 1)]
    public void An_empty_member_whose_deflate_data_ends_in_a_zero_byte_within_the_first_17_bytes_is_delimited_exactly(int deflateLength)
    {
        // Its trailer is eight zero bytes: a place one byte early holds "CRC-32 0, length 0" too.
        var deflate = EmptyDeflateEndingInZero(deflateLength);
        foreach (var after in new[] { "end", "member", "garbage", "cut-trailer", "no-trailer", "bad-crc" })
        {
            CheckEveryWay(deflate, [], after);
        }
    }

    [Fact]
    public void Past_the_17th_byte_an_empty_member_whose_deflate_data_ends_in_a_zero_byte_before_other_bytes_is_refused_one_byte_early_never_late()
    {
        // The documented limit: the deflate data's end is known only to within the inflater's last chunk, and the first
        // place there holding the member's CRC-32 and length is taken when no header or end follows any of them.
        var deflate = EmptyDeflateEndingInZero(OneAtATime + 2);
        var file = GzipCases.Concat(Header, deflate, new byte[8], Garbage);
        var garbageAt = file.Length - Garbage.Length;

        foreach (var (name, source) in Sources(file, Header.Length + deflate.Length))
        {
            var (output, offset, error) = Decompress(source(), readSize: 4096, async: false);

            // Read byte by byte, the inflater's last chunk is the last byte of the deflate data: then the end is exact.
            var expected = name == "byte by byte" ? garbageAt : garbageAt - 1;
            Assert.True(error is not null && output.Length == 0, $"{name}: {error}");
            Assert.True(offset == expected, $"{name}: offset {offset}, the other bytes start at {garbageAt}: {error}");
        }

        // Followed by the end of the input or by another member, the same member is delimited exactly.
        CheckEveryWay(deflate, [], "end");
        CheckEveryWay(deflate, [], "member");
    }

    [Fact]
    public async Task A_sync_read_fills_the_callers_buffer_as_an_async_read_does()
    {
        // Highly compressible content: one 8 KiB chunk of input inflates to more than any buffer below.
        var content = new byte[4 << 20];
        var file = GzipCases.Member(content);
        foreach (var size in new[] { 100, 64 * 1024, 1 << 20 })
        {
            var buffer = new byte[size];
            var syncReads = new List<int>();
            var asyncReads = new List<int>();
            using (var gzip = new GzipReadStream(new MemoryStream(file), Error, leaveOpen: false))
            {
                for (int n; (n = gzip.Read(buffer.AsSpan())) > 0;)
                {
                    syncReads.Add(n);
                }
            }

            using (var gzip = new GzipReadStream(new MemoryStream(file), Error, leaveOpen: false))
            {
                for (int n; (n = await gzip.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0;)
                {
                    asyncReads.Add(n);
                }
            }

            Assert.Equal(content.Length, syncReads.Sum());
            Assert.True(asyncReads.SequenceEqual(syncReads), $"reads of {size}: sync [{string.Join(", ", syncReads.Take(5))}, ...], async [{string.Join(", ", asyncReads.Take(5))}, ...]");
        }
    }

    private static void CheckEveryWay(byte[] deflate, byte[] content, string after)
    {
        var second = GzipCases.Member("second member\n"u8.ToArray());
        var member = GzipCases.Concat(Header, deflate, Trailer(content));
        var deflateEnd = Header.Length + deflate.Length;
        var (file, expected, offset) = after switch
        {
            "end" => (member, content, -1L),
            "member" => (GzipCases.Concat(member, second), GzipCases.Concat(content, "second member\n"u8.ToArray()), -1L),
            "garbage" => (GzipCases.Concat(member, Garbage), content, member.Length),
            "cut-trailer" => (member[..(deflateEnd + 5)], content, deflateEnd + 5),
            "no-trailer" => (member[..deflateEnd], content, deflateEnd),
            "bad-crc" => (Flip(member, deflateEnd + 2), content, deflateEnd),
            _ => throw new ArgumentException(after, nameof(after)),
        };

        foreach (var (name, source) in Sources(file, deflateEnd))
        {
            foreach (var readSize in new[] { 1, 4096, 100_000 })
            {
                foreach (var async in new[] { false, true })
                {
                    var where = $"{deflate.Length} bytes of deflate data, then {after}; {name}, reads of {readSize}, {(async ? "async" : "sync")}";
                    var (output, errorOffset, error) = Decompress(source(), readSize, async);
                    Assert.True(expected.AsSpan().SequenceEqual(output), $"{where}: {output.Length} bytes out, expected {expected.Length}");
                    Assert.True(errorOffset == offset, $"{where}: offset {errorOffset}, expected {offset}: {error}");
                }
            }
        }
    }

    // The file in one piece, in two pieces split where the deflate data ends, and byte by byte.
    private static (string Name, Func<Stream> Source)[] Sources(byte[] file, int deflateEnd) =>
    [
        ("one piece", () => new PiecesStream([file])),
        ("split at the end of the deflate data", () => new PiecesStream([file[..deflateEnd], file[deflateEnd..]])),
        ("byte by byte", () => new PiecesStream([.. file.Select(b => new[] { b })])),
    ];

    private static (byte[] Content, long Offset, string? Error) Decompress(Stream source, int readSize, bool async)
    {
        using var gzip = new GzipReadStream(source, Error, leaveOpen: false);
        var output = new MemoryStream();
        var buffer = new byte[readSize];
        try
        {
            while (true)
            {
                var n = async ? gzip.ReadAsync(buffer).AsTask().GetAwaiter().GetResult() : gzip.Read(buffer.AsSpan());
                if (n == 0)
                {
                    return (output.ToArray(), -1, null);
                }

                output.Write(buffer, 0, n);
            }
        }
        catch (Damaged e)
        {
            return (output.ToArray(), e.ByteOffset, e.Message);
        }
    }

    // Deflate data of exactly `length` bytes: text compressed by DeflateStream and flushed (when there is room), then a
    // final stored block of as many bytes as are left.
    private static (byte[] Deflate, byte[] Content) DeflateOfLength(int length, int seed)
    {
        var random = new Random(seed);
        var text = new byte[length * 2];
        for (var i = 0; i < text.Length; i++)
        {
            text[i] = (byte)(i % 37 == 36 ? '\n' : "abcdefgh0123"[random.Next(12)]);
        }

        byte[] prefix = [];
        var prefixContent = text.Length;
        while (length > 64)
        {
            prefix = Deflated(text[..prefixContent]);
            if (prefix.Length <= length - 5 - 100)
            {
                break;
            }

            prefixContent = prefixContent * 3 / 4;
        }

        if (length <= 64)
        {
            prefixContent = 0;
        }

        var stored = text[prefixContent..][..(length - prefix.Length - 5)];
        var deflate = GzipCases.Concat(prefix, [0x01, (byte)stored.Length, (byte)(stored.Length >> 8), (byte)~stored.Length, (byte)(~stored.Length >> 8)], stored);
        Assert.Equal(length, deflate.Length);
        return (deflate, GzipCases.Concat(text[..prefixContent], stored));
    }

    private static byte[] Deflated(byte[] content)
    {
        var output = new MemoryStream();
        var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true);
        deflate.Write(content);
        deflate.Flush(); // ends the data at a byte boundary with an empty stored block, not final: more blocks may follow
        return output.ToArray();
    }

    // Deflate data of nothing, `length` bytes long and ending in a zero byte: empty fixed-Huffman blocks (10 bits each),
    // empty stored blocks (3 bits, then from the next byte 00 00 ff ff), then empty fixed-Huffman blocks again, the last
    // final: its last byte holds only end-of-block bits, which are zeros.
    private static byte[] EmptyDeflateEndingInZero(int length)
    {
        for (var leading = 0; leading < 8; leading++)
        {
            for (var stored = 0; stored * 5 < length; stored++)
            {
                for (var trailing = 1; trailing < 8 * length; trailing++)
                {
                    var bits = new BitWriter();
                    for (var f = 0; f < leading; f++)
                    {
                        bits.FixedEmptyBlock(final: false);
                    }

                    for (var s = 0; s < stored; s++)
                    {
                        bits.Write(0, 3); // BFINAL 0, BTYPE 00: stored
                        bits.AlignToByte();
                        bits.Write(0x0000, 16);
                        bits.Write(0xFFFF, 16);
                    }

                    for (var f = 0; f < trailing; f++)
                    {
                        bits.FixedEmptyBlock(final: f == trailing - 1);
                    }

                    var deflate = bits.ToArray();
                    if (deflate.Length > length)
                    {
                        break;
                    }

                    if (deflate.Length == length && deflate[^1] == 0)
                    {
                        using var inflater = new DeflateStream(new MemoryStream(deflate), CompressionMode.Decompress);
                        Assert.Equal(-1, inflater.ReadByte());
                        return deflate;
                    }
                }
            }
        }

        throw new ArgumentException($"no empty deflate data of {length} bytes ends in a zero byte", nameof(length));
    }

    private static byte[] Trailer(byte[] content)
    {
        var trailer = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, GzipCases.Crc32(content));
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(4), (uint)content.Length);
        return trailer;
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x40;
        return copy;
    }

    private sealed class Damaged(string message, long byteOffset) : Exception(message)
    {
        public long ByteOffset { get; } = byteOffset;
    }

    private sealed class BitWriter
    {
        private readonly List<byte> _bytes = [];
        private int _bit;

        public void Write(int value, int count)
        {
            for (var i = 0; i < count; i++, _bit++)
            {
                if (_bit % 8 == 0)
                {
                    _bytes.Add(0);
                }

                _bytes[^1] |= (byte)(((value >> i) & 1) << (_bit % 8));
            }
        }

        public void AlignToByte() => _bit = (_bit + 7) / 8 * 8;

        public void FixedEmptyBlock(bool final)
        {
            Write(final ? 1 : 0, 1); // BFINAL
            Write(1, 2);             // BTYPE 01: fixed Huffman codes
            Write(0, 7);             // end of block: code 256 is 0000000
        }

        public byte[] ToArray() => [.. _bytes];
    }

    /// <summary>Returns its pieces in order, each read giving at most the rest of the current piece.</summary>
    private sealed class PiecesStream(byte[][] pieces) : ForwardOnlyStream
    {
        private int _piece;
        private int _position;

        public override int Read(Span<byte> buffer)
        {
            while (_piece < pieces.Length && _position == pieces[_piece].Length)
            {
                _piece++;
                _position = 0;
            }

            if (_piece == pieces.Length || buffer.IsEmpty)
            {
                return 0;
            }

            var n = Math.Min(buffer.Length, pieces[_piece].Length - _position);
            pieces[_piece].AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
    }

    private sealed class RecordingStream(byte[] data) : MemoryStream(data)
    {
        public List<int> Requests { get; } = [];

        public override int Read(byte[] buffer, int offset, int count)
        {
            Requests.Add(count);
            return base.Read(buffer, offset, count);
        }

        public override int Read(Span<byte> buffer)
        {
            Requests.Add(buffer.Length);
            return base.Read(buffer);
        }
    }
}
