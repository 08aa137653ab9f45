using System.IO.Compression;
using System.Text;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary><see cref="PanOsTrafficInput.Format"/>: how <see cref="FlowInput"/> recognises PAN-OS logs and reads them.</summary>
public sealed class InputFormatTests
{
    [Theory]
    [InlineData("<14>Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,0128", true)] // RFC 3164
    [InlineData("<14>1 2018-11-30T16:09:08Z PA-220 - - - - 1,2018/11/30", true)] // RFC 5424
    [InlineData("535 <14>1 2018-11-30T16:09:08Z PA-220 - - - - 1,2018", true)] // RFC 6587 octet counting
    [InlineData("1,2018/11/30 16:09:07,012801096514,TRAFFIC,end", true)] // bare CSV
    [InlineData("\uFEFF\r\n  <14>Nov 30 16:09:08 PA-220 1,2018/11/30", true)] // byte order mark and blanks first
    [InlineData("#separator \\x09", false)] // Zeek TSV
    [InlineData("{\"ts\":1}", false)] // Zeek JSON
    [InlineData("Nov 30 16:09:08 PA-220 1,2018/11/30", false)] // a BSD header without PRI: not told from other text
    [InlineData("12345", false)]
    [InlineData("", false)]
    public void Syslog_octet_counting_and_bare_CSV_are_recognised_as_the_console_host_did(string head, bool isMatch)
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
