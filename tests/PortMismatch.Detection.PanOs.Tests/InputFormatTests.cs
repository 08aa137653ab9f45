using System.IO.Compression;
using System.Text;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary><see cref="PanOsTrafficInput.Format"/>: how <see cref="FlowInput"/> recognises PAN-OS logs and reads them.</summary>
public sealed class InputFormatTests
{
    // Every header form the reader accepts (SyslogHeader's, as SyslogFramingTests lists them), each in front of a TRAFFIC
    // line: the detector must recognise exactly what the reader reads.
    private static readonly string[] AcceptedHeaders =
    [
        "",                                                             // no header: a log export's plain CSV
        "Nov 30 16:09:08 PA-220 ",                                      // RFC 3164 without PRI (elastic-beats traffic.log)
        "Oct 30 09:46:12 ",                                             // without PRI and host (elastic-beats pan_inc_traffic.log)
        "Nov  3 06:09:08 fw01.example.net ",                            // space-padded day
        "Nov 3 06:09:08 fw01 ",                                         // unpadded day
        "<14>Nov 30 16:09:08 PA-220 ",                                  // RFC 3164
        "<14>Nov 30 16:09:08 ",                                         // RFC 3164 without host
        "<190>Nov 30 16:09:08 PA-220 panos: ",                          // with a tag
        "<190>Nov 30 16:09:08 PA-220 panos[42]: ",                      // with a tag and a pid
        "Nov 30 2018 16:09:08 PA-220 ",                                 // a time with a year (not parsed, skipped)
        "PA-220 ",                                                      // a host only
        "2018-11-30T16:09:08.123456+01:00 PA-220 ",                     // rsyslog's RFC 3339 time in place of the BSD one
        "<14>2018-11-30T16:09:08Z PA-220 ",                             // the same with PRI
        "<14>1 2018-11-30T16:09:08.003Z PA-220 - - - - ",               // RFC 5424
        "<14>1 2018-11-30T16:09:08Z PA-220 panos 1234 TRAFFIC - ",      // RFC 5424 with app, procid, msgid
        "<14>1 - - - - - - ",                                           // RFC 5424, every field nil
        "<14>1 2018-11-30T16:09:08Z fw - - - [meta sequenceId=\"1\"] ", // RFC 5424 structured data
        "<14>1 2018-11-30T16:09:08Z fw - - - [a x=\"1, 2 \\\"q\\\" \\] end\"][b@32473 y=\"\"] ", // escapes in SD values
        "<14>1 2018-11-30T16:09:08Z fw - - - - \uFEFF",                // RFC 5424 with a BOM before the message
    ];

    // The ways a file or stream frames the same line: as is, CRLF, a byte order mark and blank lines first, RFC 6587
    // octet counting (for messages with PRI), and cut at the end of the head.
    public static TheoryData<string, string> HeaderForms()
    {
        var data = new TheoryData<string, string>();
        foreach (var header in AcceptedHeaders)
        {
            foreach (var framing in new[] { "lf", "crlf", "bom", "bom-blank-lines", "octet-counting", "head-only" })
            {
                if (framing != "octet-counting" || header.StartsWith('<'))
                {
                    data.Add(header, framing);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(HeaderForms))]
    public void Every_header_form_the_reader_reads_is_recognised_and_the_reader_reads_it(string header, string framing)
    {
        var message = header + new TrafficLine();
        var text = framing switch
        {
            "crlf" => message + "\r\n" + message + "\r\n",
            "bom" => "\uFEFF" + message + "\n",
            "bom-blank-lines" => "\uFEFF\n \r\n\t\n" + message + "\n",
            "octet-counting" => $"{Encoding.UTF8.GetByteCount(message)} {message}",
            _ => message + "\n",
        };
        var bytes = Encoding.UTF8.GetBytes(text);
        var head = bytes.AsSpan(0, Math.Min(bytes.Length, framing == "head-only" ? 100 + Encoding.UTF8.GetByteCount(header) : FlowInput.HeadLength));

        Assert.True(PanOsTrafficInput.Format().IsMatch(head), PanOsTrafficInput.Format().ExplainMismatch(head));
        var read = ReadResult.Of(bytes);
        Assert.Equal(framing == "crlf" ? 2 : 1, read.Counters.Accepted);
        Assert.Equal(read.Counters.Read, read.Counters.Accepted);
    }

    // Malformed headers the reader rejects (bad-syslog-header): not PAN-OS to the detector either.
    [Theory]
    [InlineData("<14")]
    [InlineData("<14x>Nov 30 16:09:08 fw ")]
    [InlineData("<999>Nov 30 16:09:08 fw ")]
    [InlineData("<14>1 2018-11-30T16:09:08Z fw - - - x")]
    [InlineData("<14>1 2018-11-30T16:09:08Z fw - - - [unclosed x=\"1\" ")]
    [InlineData("<14>1 2018-11-30T16:09:08Z fw - - - -x")]
    public void A_header_the_reader_rejects_is_not_recognised(string header)
    {
        var bytes = Encoding.UTF8.GetBytes(header + new TrafficLine() + "\n");

        Assert.False(PanOsTrafficInput.Format().IsMatch(bytes));
        Assert.Equal("a malformed syslog header", PanOsTrafficInput.Format().ExplainMismatch(bytes));
        Assert.Equal("read 1 = accepted 0 + rejected 1 + skipped 0", ReadResult.Of(bytes).Counters.ToString());
    }

    [Theory]
    [InlineData("1,2018/11/30 16:09:07,012801096514,THREAT,url", true)] // another PAN-OS log type: PAN-OS, skipped by the reader
    [InlineData("1,2021-05-26T16:27:07.000000Z,no-serial,TRAFFIC,end", true)] // Cortex Data Lake: ISO receive time, no serial
    [InlineData(",2018/11/30 16:09:07,,TRAFFIC,end", true)] // FUTURE_USE and serial empty
    [InlineData("#separator \\x09", false)] // Zeek TSV
    [InlineData("{\"ts\":1}", false)] // Zeek JSON
    [InlineData("app,\"app:category\",\"app:subcategory\",\"app:technology\"", false)] // other CSV (the App-ID list)
    [InlineData("1,2,3,4,5", false)] // numbers, no receive time
    [InlineData("Nov 30 16:09:08 PA-220 sshd[42]: Accepted publickey for root", false)] // other syslog
    [InlineData("Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,012801096514", false)] // fewer than four fields
    [InlineData("12345", false)]
    [InlineData("", false)]
    public void Other_text_is_not_PAN_OS(string head, bool isMatch)
        => Assert.Equal(isMatch, PanOsTrafficInput.Format().IsMatch(Encoding.UTF8.GetBytes(head)));

    [Fact]
    public void Binary_heads_are_not_PAN_OS()
    {
        Assert.False(PanOsTrafficInput.Format().IsMatch([0x00, 0x0A, 0x00, 0x30])); // IPFIX
        Assert.False(PanOsTrafficInput.Format().IsMatch([0xD4, 0xC3, 0xB2, 0xA1])); // pcap

        // pcapng: line breaks (its magic), then a little-endian section header of 60 bytes, whose first byte is '<'.
        byte[] pcapng = [0x0A, 0x0D, 0x0D, 0x0A, 0x3C, 0x00, 0x00, 0x00, 0x4D, 0x3C, 0x2B, 0x1A, 0x01, 0x00, 0x00, 0x00];
        Assert.False(PanOsTrafficInput.Format().IsMatch(pcapng));
    }

    [Fact]
    public async Task FlowInput_reads_a_gzip_PAN_OS_file_with_the_formats_options()
    {
        var path = Path.Combine(Path.GetTempPath(), $"panos-format-{Guid.NewGuid():N}.log.gz");
        var lines = string.Concat(Enumerable.Range(0, 50).Select(i => $"<14>Nov 30 16:09:08 PA-220 {new TrafficLine().With(subtype: i % 2 == 0 ? "end" : "start")}\n"));
        await using (var file = File.Create(path))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(lines), TestContext.Current.CancellationToken);
        }

        try
        {
            var format = PanOsTrafficInput.Format(PanOsReaderOptions.Default with { Subtypes = PanOsSubtypes.End });
            var source = FlowInput.FileSource(path, [format]);
            var sink = new CollectingSink();

            await source.ReadAsync(sink, TestContext.Current.CancellationToken);

            Assert.Same(format, source.Format);
            Assert.Equal("panos", format.Name);
            Assert.Equal(25, sink.Records.Count);
            Assert.Equal("read 50 = accepted 25 + rejected 0 + skipped 25", source.Counters.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Options_out_of_range_are_refused_when_the_format_is_made()
        => Assert.Throws<ArgumentOutOfRangeException>(() => PanOsTrafficInput.Format(PanOsReaderOptions.Default with { MaxLineLength = 1 }));
}
