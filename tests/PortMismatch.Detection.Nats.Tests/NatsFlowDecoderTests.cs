using System.Buffers;
using System.Text;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.Ipfix.Tests;
using PortMismatch.Detection.Nats.Internal;
using PortMismatch.Detection.Nats.Tests.Support;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.PanOs.Tests;
using PortMismatch.Detection.Suricata;
using PortMismatch.Detection.Suricata.Tests.Support;
using PortMismatch.Detection.Zeek;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Nats.Tests;

/// <summary>
/// One message at a time through the decoder gives what the adapter gives on the whole text (the oracle: the adapter's own
/// reader with one state), for every format; what no format is, is counted and reported, never thrown.
/// </summary>
public sealed class NatsFlowDecoderTests
{
    private const int Seed = 20;

    [Fact]
    public void Zeek_json_lines_one_per_message_read_as_the_whole_log()
    {
        var text = ConnLog.GenerateJson(200, Seed);
        var direct = new RecordLines();
        var state = new ZeekReaderState();
        var reader = new ZeekConnReader(Encoding.UTF8.GetBytes(text), state, isFinalBlock: true);
        while (reader.TryRead(out var record))
        {
            direct.OnRecord(record);
        }

        var (decoder, decoded) = DecodeLines(text, "flows.3.zeek-json");

        Assert.Equal(direct.Lines, decoded.Lines);
        Assert.Equal(state.Counters.ToString(), decoder.Counters.ToString());
        Assert.True(decoder.Counters.IsBalanced);
    }

    [Fact]
    public void Suricata_lines_pair_netflow_halves_within_a_partition_as_the_whole_log()
    {
        // EveLog mixes flow and netflow events with dns events (skipped); a netflow reply is told apart by the pairing
        // state that the decoder keeps from message to message.
        var text = EveLog.Generate(300, Seed) + Eve.Netflow(flowId: 9_999) + "\n" + Eve.Netflow(src: "10.0.0.2", srcPort: 80, dest: "10.0.0.1", destPort: 49152, flowId: 9_999) + "\n";
        var direct = new RecordLines();
        var state = new SuricataReaderState();
        var reader = new SuricataEveReader(Encoding.UTF8.GetBytes(text), state, isFinalBlock: true);
        while (reader.TryRead(out var record))
        {
            direct.OnRecord(record);
        }

        var (decoder, decoded) = DecodeLines(text, "flows.0.suricata");

        Assert.Equal(direct.Lines, decoded.Lines);
        Assert.Equal(state.Counters.ToString(), decoder.Counters.ToString());
        Assert.True(state.Counters.SkippedByReason.Count > 0, "the fixture has skipped events");
        Assert.Equal(state.Counters.SkippedByReason.OrderBy(p => p.Key), decoder.Counters.SkippedByReason.OrderBy(p => p.Key));
    }

    [Fact]
    public void PanOs_syslog_lines_read_in_the_time_zone_of_the_options()
    {
        var lines = new StringBuilder();
        for (var i = 0; i < 50; i++)
        {
            var csv = new TrafficLine().With(app: i % 3 == 0 ? "dns" : "ssl", destPort: (440 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToString();
            lines.Append(i % 2 == 0 ? "<14>Nov 30 16:09:08 fw1 " + csv : csv).Append('\n');
        }

        lines.Append("not a traffic log\n");
        var text = lines.ToString();
        var options = PanOsReaderOptions.Default with { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin") };
        var direct = new RecordLines();
        var state = new PanOsReaderState(options);
        var reader = new PanOsTrafficReader(Encoding.UTF8.GetBytes(text), state, isFinalBlock: true);
        while (reader.TryRead(out var record))
        {
            direct.OnRecord(record);
        }

        var (decoder, decoded) = DecodeLines(text, "flows.1.panos", panOs: options);
        var (_, utc) = DecodeLines(text, "flows.1.panos");

        Assert.Equal(50, direct.Lines.Count);
        Assert.Equal(direct.Lines, decoded.Lines);
        Assert.NotEqual(utc.Lines, decoded.Lines); // the time zone reached the reader
        Assert.Equal(state.Counters.ToString(), decoder.Counters.ToString());
        Assert.Equal(1, decoder.Counters.Rejected);
    }

    [Fact]
    public void Ipfix_templates_are_scoped_by_the_exporter_header()
    {
        Field[] fields = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (150, 4)];
        var template = new IpfixBuilder().Template(256, fields).Build();
        var data = new IpfixBuilder(sequence: 1).Data(256, Bytes.Cat(Bytes.Ip("10.0.0.1"), Bytes.Ip("192.0.2.9"), Bytes.U16(51000), Bytes.U16(4444), Bytes.U8(6), Bytes.U32(1_700_000_000))).Build();
        var diagnostics = new List<InputDiagnostic>();
        var decoder = new NatsFlowDecoder("FLOWS/2", diagnostics.Add);
        var sink = new RecordLines();

        decoder.Decode("flows.2.ipfix", null, "198.51.100.1", new ReadOnlySequence<byte>(template), sink);
        decoder.Decode("flows.2.ipfix", null, "198.51.100.1", new ReadOnlySequence<byte>(data), sink);
        decoder.Decode("flows.2.ipfix", null, "198.51.100.2", new ReadOnlySequence<byte>(data), sink); // another exporter: no template
        decoder.Decode("flows.2.ipfix", null, null, new ReadOnlySequence<byte>(data), sink); // no header: the partition's own scope, none either

        var oracle = new IpfixDecoder();
        var expected = new RecordLines();
        oracle.Decode(template, IPAddressValue.Parse("198.51.100.1"), expected);
        oracle.Decode(data, IPAddressValue.Parse("198.51.100.1"), expected);
        oracle.Decode(data, IPAddressValue.Parse("198.51.100.2"), expected);
        oracle.Decode(data, IPAddressValue.None, expected);
        Assert.Equal(expected.Lines, sink.Lines);
        Assert.Single(sink.Lines);
        Assert.Equal(oracle.Counters.ToString(), decoder.Counters.ToString());
        Assert.Equal(2, decoder.Counters.SkippedByReason["no-template"]);
        Assert.True(decoder.Counters.IsBalanced);
    }

    [Fact]
    public void The_format_header_wins_over_the_subject()
    {
        var line = ConnLog.GenerateJson(1, Seed);
        var decoder = new NatsFlowDecoder("FLOWS/0", null);
        var sink = new RecordLines();

        decoder.Decode("flows.0.whatever", NatsFlowFormats.ZeekJson, null, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(line)), sink);

        Assert.Single(sink.Lines);
        Assert.Equal("read 1 = accepted 1 + rejected 0 + skipped 0", decoder.Counters.ToString());
    }

    [Fact]
    public void A_message_of_no_known_format_is_rejected_as_unknown_format_and_reported()
    {
        var diagnostics = new List<InputDiagnostic>();
        var decoder = new NatsFlowDecoder("FLOWS/4", diagnostics.Add);
        var sink = new RecordLines();

        decoder.Decode("flows.4.netflow-v5", null, null, new ReadOnlySequence<byte>("x"u8.ToArray()), sink);
        decoder.Decode("flows.4.zeek-json", "csv\u0001", null, new ReadOnlySequence<byte>("x"u8.ToArray()), sink);
        decoder.Decode("flows.4.zeek-json", null, null, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(ConnLog.GenerateJson(1, Seed))), sink);

        Assert.Single(sink.Lines);
        Assert.Equal("read 3 = accepted 1 + rejected 2 + skipped 0", decoder.Counters.ToString());
        Assert.Equal(2, decoder.Counters.RejectedByReason[NatsFlowDecoder.UnknownFormat]);
        Assert.Equal(2, diagnostics.Count);
        Assert.All(diagnostics, d => Assert.Equal((RecordOutcome.Rejected, "unknown-format", "FLOWS/4"), (d.Outcome, d.Reason, d.InputName)));
        Assert.Contains("'flows.4.netflow-v5'", diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Contains("'netflow-v5'", diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Contains("'csv\\u0001'", diagnostics[1].Message, StringComparison.Ordinal); // escaped, as input quoted in messages is
    }

    private static (NatsFlowDecoder Decoder, RecordLines Records) DecodeLines(string text, string subject, PanOsReaderOptions? panOs = null)
    {
        var decoder = new NatsFlowDecoder("FLOWS/0", null, panOs: panOs);
        var sink = new RecordLines();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            decoder.Decode(subject, null, null, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(line)), sink);
        }

        return (decoder, sink);
    }
}
