using System.IO.Compression;
using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

/// <summary><see cref="ZeekConnInput.Format"/> and <see cref="ZeekConnInput.StreamSource"/>: what FlowInput recognises and reads.</summary>
public sealed class InputFormatTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The first line as the reader reads it (a byte order mark on line 1 and blank lines skipped): a TSV directive, a JSON
    // object with a Zeek log's keys (with or without _path), or headerless TSV.
    [Theory]
    [InlineData("#separator \\x09\n", true)]
    [InlineData("#separator \\x09\r\n#set_separator\t,\r\n", true)] // CRLF
    [InlineData("#fields\tts\n", true)]
    [InlineData("#path\tconn\n", true)] // a header whose first directive is not #separator
    [InlineData("\uFEFF#separator \\x09\n", true)]
    [InlineData("\n\r\n  \n#separator \\x09\n", true)] // blank lines first
    [InlineData("{\"_path\":\"conn\",\"ts\":1}\n", true)] // NDJSON with _path
    [InlineData("{\"ts\":1546981792.481978,\"uid\":\"Cu00My2F0RlLbdpIhj\",\"id.orig_h\":\"192.168.86.167\"}", true)] // without _path
    [InlineData("{\"ts\":\"2019-01-08T21:09:52Z\",\"id\":{\"orig_h\":\"192.168.86.167\"}}\n", true)] // nested id
    [InlineData(" \t\r\n{\"id.resp_p\":53}", true)]
    [InlineData("\uFEFF\n{\"uid\":\"C1\"}", true)]
    [InlineData("1300000000.000000\tC1\t10.0.0.1\t1\n", true)] // headerless (zeek-cut): the reader asks for the field names
    [InlineData("#path conn\n", false)] // not Zeek's separator
    [InlineData("# a comment\n", false)]
    [InlineData("{\"ts\":1}\n", false)] // JSON, but no Zeek log's keys
    [InlineData("{\"context\":\"IPFIX\",\"files\":[]}\n", false)]
    [InlineData("\n\uFEFF\n{\"uid\":\"C1\"}", false)] // a byte order mark after line 1 is text, as the reader reads it
    [InlineData("<14>Oct 13 ...", false)]
    [InlineData("a README\twith a tab\n", false)]
    [InlineData("", false)]
    public void Zeek_content_is_recognised_by_its_first_line(string head, bool expected)
        => Assert.Equal(expected, ZeekConnInput.Format().IsMatch(Encoding.UTF8.GetBytes(head)));

    [Fact]
    public async Task Headerless_TSV_is_Zeek_that_the_reader_refuses_without_field_names_and_reads_with_them()
    {
        var text = Encoding.UTF8.GetBytes("1700000000.5\t10.0.0.2\t50000\t192.0.2.1\t4444\tssl\n");
        string[] names = ["ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "service"];
        var withNames = new ZeekReaderOptions { FieldNames = names };

        Assert.True(ZeekConnInput.Format().IsMatch(text));
        Assert.True(ZeekConnInput.Format(withNames).IsMatch(text));
        Assert.False(ZeekConnInput.Format(withNames with { FieldNames = [.. names, "proto"] }).IsMatch(text)); // not that many columns
        await Assert.ThrowsAsync<ZeekFormatException>(() => FlowInput.StreamSource(new MemoryStream(text), "cut.tsv", [ZeekConnInput.Format()]).ReadAsync(new CollectingSink(), Ct));

        var sink = new CollectingSink();
        await FlowInput.StreamSource(new MemoryStream(text), "cut.tsv", [ZeekConnInput.Format(withNames)]).ReadAsync(sink, Ct);
        Assert.Equal(4444, Assert.Single(sink.Rows).DestinationPort);
    }

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
