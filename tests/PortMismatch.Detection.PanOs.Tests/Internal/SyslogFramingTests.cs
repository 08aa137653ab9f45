using System.Text;

namespace PortMismatch.Detection.PanOs.Tests.Internal;

public sealed class SyslogFramingTests
{
    private static readonly string Csv = new TrafficLine().ToString();

    [Theory]
    [InlineData("", "", "")]
    [InlineData("Nov 30 16:09:08 PA-220 ", "PA-220", "Nov 30 16:09:08")]
    [InlineData("Oct 30 09:46:12 ", "", "Oct 30 09:46:12")]
    [InlineData("Nov  3 06:09:08 fw01.example.net ", "fw01.example.net", "Nov  3 06:09:08")]
    [InlineData("Nov 3 06:09:08 fw01 ", "fw01", "Nov 3 06:09:08")]
    [InlineData("<14>Nov 30 16:09:08 PA-220 ", "PA-220", "Nov 30 16:09:08")]
    [InlineData("<14>Nov 30 16:09:08 ", "", "Nov 30 16:09:08")]
    [InlineData("<190>Nov 30 16:09:08 PA-220 panos: ", "PA-220", "Nov 30 16:09:08")]
    [InlineData("<190>Nov 30 16:09:08 PA-220 panos[42]: ", "PA-220", "Nov 30 16:09:08")]
    [InlineData("Nov 30 2018 16:09:08 PA-220 ", "PA-220", "")]
    [InlineData("PA-220 ", "PA-220", "")]
    [InlineData("2018-11-30T16:09:08.123456+01:00 PA-220 ", "PA-220", "2018-11-30T16:09:08.123456+01:00")]
    [InlineData("<14>1 2018-11-30T16:09:08.003Z PA-220 - - - - ", "PA-220", "2018-11-30T16:09:08.003Z")]
    [InlineData("<14>1 2018-11-30T16:09:08Z PA-220 panos 1234 TRAFFIC - ", "PA-220", "2018-11-30T16:09:08Z")]
    [InlineData("<14>1 - - - - - - ", "", "")]
    [InlineData("<14>1 2018-11-30T16:09:08Z fw - - - [meta sequenceId=\"1\"] ", "fw", "2018-11-30T16:09:08Z")]
    [InlineData("<14>1 2018-11-30T16:09:08Z fw - - - [a x=\"1, 2 \\\"q\\\" \\] end\"][b@32473 y=\"\"] ", "fw", "2018-11-30T16:09:08Z")]
    [InlineData("<14>1 2018-11-30T16:09:08Z fw - - - - \uFEFF", "fw", "2018-11-30T16:09:08Z")]
    public void Each_header_form_yields_the_CSV_and_exposes_host_and_time(string header, string host, string time)
    {
        var result = ReadResult.Of(header + Csv + "\n");

        var record = Assert.Single(result.Records);
        Assert.Equal("ssl", record.Apps);
        Assert.Equal(443, record.DestinationPort);
        Assert.Equal(host, result.Extras[0].Host);
        Assert.Equal(time, result.Extras[0].SyslogTime);
        Assert.Equal(new DateTimeOffset(2018, 11, 30, 16, 9, 7, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000, record.Time);
    }

    [Theory]
    [InlineData("<14")]
    [InlineData("<14x>Nov 30 16:09:08 fw ")]
    [InlineData("<999>Nov 30 16:09:08 fw ")]
    [InlineData("<14>1 2018-11-30T16:09:08Z fw - - ")]
    [InlineData("<14>1 2018-11-30T16:09:08Z fw - - - x")]
    [InlineData("<14>1 2018-11-30T16:09:08Z fw - - - [unclosed x=\"1\" ")]
    [InlineData("<14>1 2018-11-30T16:09:08Z fw - - - -x")]
    public void A_malformed_PRI_or_RFC_5424_header_is_rejected_with_its_position(string header)
    {
        var good = Csv + "\n";
        var result = ReadResult.Of(good + header + Csv + "\n" + good);

        Assert.Equal(2, result.Records.Count);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("bad-syslog-header", diagnostic.Reason);
        Assert.Equal(2, diagnostic.LineNumber);
        Assert.Equal(Encoding.UTF8.GetByteCount(good), diagnostic.ByteOffset);
        Assert.Equal("test.log", diagnostic.InputName);
    }

    [Fact]
    public void Octet_counted_frames_are_read_back_to_back_and_mixed_with_lines()
    {
        var message1 = "<14>1 2018-11-30T16:09:08Z fw1 - - - - " + Csv;
        var message2 = "<14>Nov 30 16:09:08 fw2 " + new TrafficLine().With(app: "dns", destPort: "5353", transport: "udp");
        var text = $"{Encoding.UTF8.GetByteCount(message1)} {message1}{Encoding.UTF8.GetByteCount(message2)} {message2}\n"
                   + Csv + "\r\n"
                   + $"{Encoding.UTF8.GetByteCount(message1)} {message1}";

        var result = ReadResult.Of(text);

        Assert.Equal(["fw1", "fw2", "", "fw1"], result.Extras.Select(e => e.Host));
        Assert.Equal(["ssl", "dns", "ssl", "ssl"], result.Records.Select(r => r.Apps));
        Assert.Equal(5353, result.Records[1].DestinationPort);
        Assert.Equal(Transport.Udp, result.Records[1].Transport);
        Assert.Equal([1L, 1, 2, 3], result.Extras.Select(e => e.Line));
        Assert.Equal(0, result.Extras[0].Offset);
        var firstFrameLength = Encoding.UTF8.GetByteCount($"{Encoding.UTF8.GetByteCount(message1)} {message1}");
        Assert.Equal(firstFrameLength, result.Extras[1].Offset);
        Assert.Equal(4, result.Counters.Accepted);
    }

    [Fact]
    public void An_octet_count_that_runs_past_the_end_is_a_truncated_frame()
    {
        var message = "<14>Nov 30 16:09:08 fw " + Csv;
        var result = ReadResult.Of(Csv + "\n" + $"{message.Length + 10} {message}");

        Assert.Single(result.Records);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("truncated-frame", diagnostic.Reason);
        Assert.Equal(2, diagnostic.LineNumber);
        Assert.Equal(2, result.Counters.Read);
    }

    [Fact]
    public void CRLF_a_last_line_without_line_end_and_blank_lines_are_handled()
    {
        var result = ReadResult.Of("\r\n" + Csv + "\r\n\r\n   \n" + Csv);

        Assert.Equal(2, result.Records.Count);
        Assert.Equal([2L, 5], result.Extras.Select(e => e.Line));
        Assert.Equal(2, result.Counters.Read);
        Assert.Empty(result.Diagnostics);
        Assert.Equal("ssl", result.Records[0].Apps);
        Assert.Equal(22751, result.Extras[0].SessionId);
    }
}
