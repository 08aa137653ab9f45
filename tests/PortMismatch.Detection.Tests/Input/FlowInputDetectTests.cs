using System.Text;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.Tests.Input;

/// <summary>
/// <see cref="FlowInput.DetectAsync"/>, for hosts that open inputs their own way: the head of an input is read once (one
/// layer of replay over the input, and one more over the decompressed content of gzip), the content read after detection
/// is the input's whole content whatever the pieces its source gives, and damaged gzip is the core's typed error.
/// </summary>
public sealed class FlowInputDetectTests
{
    private const int Seed = 20260416;

    /// <summary>Recognises a Zeek TSV header; never read here.</summary>
    private sealed class HeaderFormat() : InputFormat("zeek")
    {
        public override bool IsMatch(ReadOnlySpan<byte> head) => head.StartsWith("#separator"u8);

        public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
            => throw new NotSupportedException();
    }

    private static readonly HeaderFormat Zeek = new();

    private static readonly byte[] ZeekLog = Encoding.UTF8.GetBytes(
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n"
        + string.Concat(Enumerable.Range(0, 100).Select(i => $"{1_700_000_000 + i}\tC{i}\t10.0.0.1\t{40000 + i}\t192.0.2.1\t4444\ttcp\tssl\n")));

    private static async Task<byte[]> ReadToEndAsync(Stream content)
    {
        var output = new MemoryStream();
        await content.CopyToAsync(output, TestContext.Current.CancellationToken);
        return output.ToArray();
    }

    [Fact]
    public async Task A_plain_input_is_read_once_for_its_head_and_replayed_whole()
    {
        var source = new PieceStream(ZeekLog, seed: null);

        var (content, format, _) = await FlowInput.DetectAsync(source, "conn.log", [Zeek], TestContext.Current.CancellationToken);

        Assert.Same(Zeek, format);
        Assert.Equal([512], source.Requests); // one read of the head, not two bytes for gzip and then the rest
        Assert.Equal(ZeekLog, await ReadToEndAsync(content));
    }

    [Fact]
    public async Task Plain_and_gzip_inputs_are_detected_and_read_whole_whatever_the_pieces_of_their_source()
    {
        var gzip = GzipCases.Concat(GzipCases.Member(ZeekLog[..700]), GzipCases.Member(ZeekLog[700..]));
        for (var i = 0; i < 50; i++)
        {
            foreach (var (name, bytes) in new[] { ("plain", ZeekLog), ("gzip", gzip) })
            {
                var (content, format, _) = await FlowInput.DetectAsync(new PieceStream(bytes, Seed + i), "conn.log", [Zeek], TestContext.Current.CancellationToken);

                Assert.True(format == Zeek, $"{name}, seed {Seed} + {i}: {format}");
                var read = await ReadToEndAsync(content);
                Assert.True(ZeekLog.AsSpan().SequenceEqual(read), $"{name}, seed {Seed} + {i}: {read.Length} bytes read");
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task An_input_too_short_for_gzip_magic_is_of_no_format_and_replayed(int length)
    {
        var bytes = new byte[] { 0x1F }[..length];

        var (content, format, _) = await FlowInput.DetectAsync(new PieceStream(bytes, Seed), "short", [Zeek], TestContext.Current.CancellationToken);

        Assert.Null(format);
        Assert.Equal(bytes, await ReadToEndAsync(content));
    }

    [Fact]
    public async Task A_gzip_header_cut_short_is_the_cores_typed_error_naming_the_input_at_its_end()
    {
        var gzip = GzipCases.Make("header-cut-short", ZeekLog, 100, [], 0);

        var e = await Assert.ThrowsAsync<CompressedInputException>(async () => await FlowInput.DetectAsync(new PieceStream(gzip.Bytes, Seed), "conn.log.gz", [Zeek], TestContext.Current.CancellationToken));

        Assert.Equal("corrupt-compressed-input", e.ReasonCode);
        Assert.Equal("conn.log.gz", e.InputName);
        Assert.Equal(gzip.Offset, e.ByteOffset);
    }

    /// <summary>Gives its bytes in seeded pieces of 1 to 64 bytes (or as much as asked, without a seed), and records the sizes asked for.</summary>
    private sealed class PieceStream(byte[] data, int? seed) : ForwardOnlyStream
    {
        private readonly Random? _random = seed is { } s ? new Random(s) : null;
        private int _position;

        public List<int> Requests { get; } = [];

        public override int Read(Span<byte> buffer)
        {
            Requests.Add(buffer.Length);
            var n = Math.Min(Math.Min(buffer.Length, data.Length - _position), _random?.Next(1, 65) ?? int.MaxValue);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
    }
}
