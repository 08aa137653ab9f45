using System.IO.Compression;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.Zeek.Tests.Internal;

/// <summary>
/// Properties of the shared gzip reader (src/Shared/GzipReadStream.cs, compiled into this package): random valid files
/// decompress to their content whatever the read sizes; every cut of a file is refused at the byte where it ends unless it
/// falls between members; every one-byte change is refused or changes nothing. Seeds are fixed and printed on failure.
/// </summary>
public sealed class GzipReadStreamProperties
{
    private const int Seed = 20261203;

    private sealed class Damaged(string message, long byteOffset) : Exception(message)
    {
        public long ByteOffset { get; } = byteOffset;
    }

    private static readonly CompressedInputError Error = static (message, byteOffset) => new Damaged(message, byteOffset);

    private static (byte[] Content, long Offset, string? Error) Decompress(byte[] file, int seed, bool async)
    {
        var random = new Random(seed);
        using var gzip = new GzipReadStream(new ChunkedStream(file, seed, maxPiece: 1 + random.Next(20_000)), Error, leaveOpen: false);
        var output = new MemoryStream();
        var buffer = new byte[70_000];
        try
        {
            while (true)
            {
                var size = 1 + random.Next(random.Next(2) == 0 ? 16 : buffer.Length);
                var n = async ? gzip.ReadAsync(buffer.AsMemory(0, size)).AsTask().GetAwaiter().GetResult() : gzip.Read(buffer, 0, size);
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

    private static byte[] Content(Random random, int length = -1)
    {
        var content = new byte[length >= 0 ? length : random.Next(4) == 0 ? random.Next(8) : random.Next(40_000)];
        var mode = random.Next(3);
        for (var i = 0; i < content.Length; i++)
        {
            content[i] = mode switch
            {
                0 => (byte)random.Next(256),
                1 => (byte)"ab\n\t0"[random.Next(5)],
                _ => (byte)(i % 7 == 0 ? random.Next(256) : 'x'),
            };
        }

        return content;
    }

    private static byte[] RandomMember(Random random, byte[] content) => random.Next(5) switch
    {
        0 => GzipCases.Member(content, extra: [1, 2, 3], fileName: "n", comment: "c", headerCrc: true),
        1 => GzipCases.Member(content, level: CompressionLevel.NoCompression),
        2 when content.Length > 1 => GzipCases.Member(content[..(content.Length / 2)], content[(content.Length / 2)..], fullFlush: random.Next(2) == 0, out _),
        3 => GzipCases.Member(content, level: CompressionLevel.Fastest),
        _ => GzipCases.Member(content),
    };

    [Fact]
    public void Random_concatenations_of_members_decompress_to_their_content_whatever_the_read_sizes()
    {
        for (var i = 0; i < 300; i++)
        {
            var random = new Random(Seed + i);
            var members = 1 + random.Next(6);
            var contents = new List<byte[]>();
            var files = new List<byte[]>();
            for (var m = 0; m < members; m++)
            {
                var content = Content(random);
                contents.Add(content);
                files.Add(RandomMember(random, content));
            }

            var file = GzipCases.Concat([.. files]);
            var (output, _, error) = Decompress(file, Seed + i, async: i % 2 == 0);
            Assert.True(error is null, $"seed {Seed} + {i}: {error}");
            Assert.True(GzipCases.Concat([.. contents]).AsSpan().SequenceEqual(output), $"seed {Seed} + {i}: {output.Length} bytes out");
        }
    }

    [Fact]
    public void Every_cut_of_a_file_is_refused_at_the_byte_where_it_ends_unless_it_falls_between_members()
    {
        var random = new Random(Seed);
        byte[][] contents = [Content(random, 300), [], "0123456789\n"u8.ToArray(), Content(random, 1000)];
        var members = contents.Select(c => RandomMember(random, c)).ToArray();
        var file = GzipCases.Concat(members);
        var boundaries = new HashSet<int>();
        for (int m = 0, at = 0; m < members.Length; m++)
        {
            at += members[m].Length;
            boundaries.Add(at);
        }

        for (var cut = 1; cut < file.Length; cut++)
        {
            var (output, offset, error) = Decompress(file[..cut], Seed + cut, async: cut % 2 == 0);
            if (boundaries.Contains(cut))
            {
                Assert.True(error is null, $"cut at {cut} (a member boundary): {error}");
            }
            else
            {
                Assert.True(error is not null, $"cut at {cut} of {file.Length}: read as complete ({output.Length} bytes)");
                Assert.True(offset == cut, $"cut at {cut}: offset {offset}: {error}");
            }
        }
    }

    [Fact]
    public void Every_one_byte_change_is_refused_or_changes_nothing_and_never_returns_other_data()
    {
        var random = new Random(Seed);
        byte[][] contents = [Content(random, 2000), "one line\n"u8.ToArray()];
        var file = GzipCases.Concat([.. contents.Select(c => GzipCases.Member(c, fileName: "f.log"))]);
        var expected = GzipCases.Concat(contents);
        var refused = 0;
        for (var at = 0; at < file.Length; at++)
        {
            foreach (var change in new byte[] { 0x01, 0x80, 0xFF })
            {
                var damaged = (byte[])file.Clone();
                damaged[at] ^= change;
                var (output, offset, error) = Decompress(damaged, Seed + at, async: at % 2 == 0);
                if (error is null)
                {
                    Assert.True(expected.AsSpan().SequenceEqual(output), $"byte {at} ^ 0x{change:x2}: other data returned without an error");
                }
                else
                {
                    refused++;
                    Assert.True(offset >= 0 && offset <= damaged.Length, $"byte {at} ^ 0x{change:x2}: offset {offset}: {error}");
                }
            }
        }

        Assert.True(refused > file.Length * 2, $"{refused} of {file.Length * 3} changes refused");
    }
}
