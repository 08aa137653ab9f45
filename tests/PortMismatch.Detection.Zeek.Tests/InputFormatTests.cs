using System.IO.Compression;
using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

/// <summary><see cref="ZeekConnInput.Format"/> and <see cref="ZeekConnInput.StreamSource"/>: what FlowInput recognises and reads.</summary>
public sealed class InputFormatTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("#separator \\x09\n", true)]
    [InlineData("#fields\tts\n", true)]
    [InlineData("{\"ts\":1}\n", true)]
    [InlineData(" \t\r\n{\"ts\":1}", true)]
    [InlineData("\uFEFF#separator \\x09\n", true)]
    [InlineData("\n\uFEFF\n{", true)]
    [InlineData("#path conn\n", false)]
    [InlineData("<14>Oct 13 ...", false)]
    [InlineData("1.0\t10.0.0.1\t1\n", false)]
    [InlineData("", false)]
    public void Zeek_content_is_recognised_by_its_first_bytes(string head, bool expected)
        => Assert.Equal(expected, ZeekConnInput.Format().IsMatch(Encoding.UTF8.GetBytes(head)));

    [Fact]
    public void The_format_is_named_zeek()
        => Assert.Equal("zeek", ZeekConnInput.Format().Name);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FlowInput_reads_Zeek_with_the_format_options_as_the_reader_does(bool gzip)
    {
        var text = Encoding.UTF8.GetBytes(ConnLog.GenerateTsv(300, seed: 5) + ConnLog.GenerateJson(10, seed: 6));
        var expected = ZeekInput.Read(text, new ZeekReaderOptions { IncludeSpeculativeService = true });
        var input = gzip ? Gzip(text) : text;
        var diagnostics = new List<InputDiagnostic>();
        var sink = new CollectingSink();

        var source = FlowInput.StreamSource(new MemoryStream(input), "in.log", [ZeekConnInput.Format(new ZeekReaderOptions { IncludeSpeculativeService = true })], diagnostics.Add);
        await source.ReadAsync(sink, Ct);

        Assert.Equal("zeek", source.Format?.Name);
        Assert.Equal(expected.Rows, sink.Rows);
        Assert.Equal(expected.Counters.ToString(), source.Counters.ToString());
        Assert.All(diagnostics, d => Assert.Equal("in.log", d.InputName));
    }

    [Fact]
    public async Task A_stream_source_reads_to_the_end_leaves_the_stream_open_and_counts_live()
    {
        var text = Encoding.UTF8.GetBytes(ConnLog.GenerateTsv(200, seed: 7));
        var stream = new MemoryStream(Gzip(text));
        var source = ZeekConnInput.StreamSource(stream, "s");
        Assert.Equal(("s", 0L), (source.Name, source.Counters.Read));

        var sink = new CollectingSink();
        await source.ReadAsync(sink, Ct);

        Assert.Equal(ZeekInput.Read(text).Rows, sink.Rows);
        Assert.Equal(200, source.Counters.Accepted);
        Assert.True(stream.CanRead, "the stream was closed");
        Assert.Equal(stream.Length, stream.Position);
    }

    [Fact]
    public async Task Damaged_gzip_through_a_stream_source_is_the_core_error_with_the_name()
    {
        var bytes = Gzip(Encoding.UTF8.GetBytes(ConnLog.GenerateTsv(50, seed: 8)));
        bytes[^5] ^= 0xFF; // the trailer's CRC-32
        var e = await Assert.ThrowsAsync<CompressedInputException>(() => ZeekConnInput.StreamSource(new MemoryStream(bytes), "bad.gz").ReadAsync(new CollectingSink(), Ct));
        Assert.Equal(("bad.gz", "corrupt-compressed-input"), (e.InputName, e.ReasonCode));
    }

    private static byte[] Gzip(byte[] bytes)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }
}
