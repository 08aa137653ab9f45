using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static PortMismatch.Detection.Ipfix.Tests.Bytes;

namespace PortMismatch.Detection.Ipfix.Tests;

public sealed class BadInputTests
{
    private const string Replay = "(20261126,20261127)";

    private static (IpfixDecoder Decoder, CollectingSink Sink, List<InputDiagnostic> Diagnostics) New()
    {
        var diagnostics = new List<InputDiagnostic>();
        return (new IpfixDecoder(IpfixReaderOptions.Default with { IncludeReplies = true }, "bad.ipfix", diagnostics.Add), new CollectingSink(), diagnostics);
    }

    private static byte[] Valid() => new IpfixBuilder()
        .Template(256, DecoderTests.V4Fields)
        .OptionsTemplate(400, 1, (95, 4), (96, 65535))
        .Data(400, Cat([13, 0, 0, 1], Var(Text("dns"))))
        .Template(257, (8, 4), (12, 4), (96, 65535), (11, 2))
        .Data(256, [.. DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000, 80), .. DecoderTests.V4Record("10.0.0.3", "10.0.0.4", 50001, 443)])
        .Data(257, Cat(Ip("10.0.0.5"), Ip("10.0.0.6"), Var(Text("ssl")), U16(8443)))
        .Build();

    [Fact]
    public void A_message_whose_length_lies_is_rejected_with_its_offset_and_the_next_input_still_decodes()
    {
        var (decoder, sink, diagnostics) = New();
        var message = Valid();
        message[3] += 10; // claims 10 more octets than there are
        decoder.Decode(message, IPAddressValue.None, sink);
        var d = Assert.Single(diagnostics);
        Assert.Equal(("truncated-message", 0L, "bad.ipfix"), (d.Reason, d.ByteOffset, d.InputName));

        decoder.Decode(Valid(), IPAddressValue.None, sink);
        Assert.Equal(3, sink.Records.Count);
        Assert.True(decoder.Counters.IsBalanced);
    }

    [Fact]
    public void A_set_longer_than_its_message_and_a_zero_length_set_stop_the_message_without_looping()
    {
        var (decoder, sink, diagnostics) = New();
        decoder.Decode(new IpfixBuilder().Template(256, DecoderTests.V4Fields).Set(256, []).Build(), IPAddressValue.None, sink);
        Assert.Equal("template", Assert.Single(diagnostics).Reason); // a set of 4 octets (header only) is empty, not wrong
        diagnostics.Clear();

        var zero = new IpfixBuilder().Template(256, DecoderTests.V4Fields).Build();
        zero = [.. zero, 1, 0, 0, 0];
        zero[3] += 4;
        decoder.Decode(zero, IPAddressValue.None, sink);
        var d = Assert.Single(diagnostics, d => d.Outcome == RecordOutcome.Rejected);
        Assert.Equal(("bad-set-length", zero.Length - 4L), (d.Reason, d.ByteOffset));

        var longer = new IpfixBuilder().Set(256, [1, 2, 3, 4]).Build();
        longer[19] = 200;
        decoder.Decode(longer, IPAddressValue.None, sink);
        Assert.Equal("bad-set-length", diagnostics[^1].Reason);
        Assert.True(decoder.Counters.IsBalanced);
    }

    [Fact]
    public void Zero_padding_after_the_last_template_record_is_not_a_withdrawal()
    {
        var (decoder, sink, _) = New();
        var template = new IpfixBuilder().Template(256, DecoderTests.V4Fields).Build()[20..]; // the template record alone
        decoder.Decode(new IpfixBuilder().Set(2, [.. template, 0, 0, 0, 0, 0, 0, 0, 0]).Data(256, DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Build(), IPAddressValue.None, sink);
        Assert.Single(sink.Records);
        Assert.Equal(0, decoder.Counters.Rejected);
        Assert.Equal(0, decoder.Statistics.TemplatesWithdrawn);
    }

    [Fact]
    public void Templates_that_describe_empty_records_or_low_ids_are_rejected()
    {
        var (decoder, sink, _) = New();
        decoder.Decode(new IpfixBuilder().Template(256, (8, 0), (12, 0)).Template(17, (8, 4)).Build(), IPAddressValue.None, sink);
        Assert.Equal(1, decoder.Counters.RejectedByReason["bad-template"]);
        Assert.Equal(1, decoder.Counters.RejectedByReason["bad-template-id"]);
    }

    [Fact]
    public void An_absurd_field_count_is_rejected_without_reading_past_the_set()
    {
        var (decoder, sink, _) = New();
        var body = Cat(U16(256), U16(60000), U16(8), U16(4));
        decoder.Decode(new IpfixBuilder().Set(2, body).Build(), IPAddressValue.None, sink);
        Assert.Equal(1, decoder.Counters.RejectedByReason["too-many-fields"]);

        var (decoder2, sink2, _) = New();
        decoder2.Decode(new IpfixBuilder().Set(2, Cat(U16(256), U16(100), U16(8), U16(4))).Build(), IPAddressValue.None, sink2);
        Assert.Equal(1, decoder2.Counters.RejectedByReason["truncated-template"]);
    }

    [Fact]
    public void A_variable_length_field_that_runs_past_its_set_rejects_the_record()
    {
        var (decoder, sink, _) = New();
        var message = new IpfixBuilder().Template(256, (8, 4), (96, 65535)).Data(256, Cat(Ip("10.0.0.1"), [255, 0xFF, 0xFF, 1, 2])).Build();
        decoder.Decode(message, IPAddressValue.None, sink);
        Assert.Equal(1, decoder.Counters.RejectedByReason["truncated-record"]);
        Assert.True(decoder.Counters.IsBalanced);
    }

    [Fact]
    public void A_data_set_shorter_than_one_record_is_rejected_unless_it_is_zero_padding()
    {
        var (decoder, sink, _) = New();
        decoder.Decode(new IpfixBuilder().Template(256, DecoderTests.V4Fields).Data(256, [1, 2, 3, 4, 5, 6, 7, 8]).Data(256, [0, 0, 0, 0]).Build(), IPAddressValue.None, sink);
        Assert.Equal(1, decoder.Counters.RejectedByReason["truncated-record"]);
        Assert.Equal(2, decoder.Counters.Read); // the template and the short set
    }

    [Fact]
    public void Unknown_versions_and_short_payloads_are_rejected_not_thrown()
    {
        var (decoder, sink, _) = New();
        decoder.Decode([0, 7, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], IPAddressValue.None, sink); // NetFlow v7 (v5 is read: NetFlowV5Tests)
        decoder.Decode([0, 10], IPAddressValue.None, sink);
        decoder.Decode([0, 9, 0, 0, 0], IPAddressValue.None, sink);
        Assert.Equal(1, decoder.Counters.RejectedByReason["unsupported-version"]);
        Assert.Equal(2, decoder.Counters.RejectedByReason["truncated-message"]);
        Assert.True(decoder.Counters.IsBalanced);
    }

    [Fact]
    public void Diagnostic_messages_quote_nothing_raw()
    {
        var (decoder, sink, diagnostics) = New();
        decoder.Decode([0, 10, 0, 3, .. Enumerable.Repeat((byte)0x1B, 40)], IPAddressValue.None, sink);
        Assert.All(diagnostics, d => Assert.DoesNotContain('\u001b', d.Message));
    }

    /// <summary>Random octets written over valid messages never crash, hang or unbalance the counters.</summary>
    [Property(Replay = Replay, MaxTest = 3000)]
    public Property Corrupted_messages_are_reported_never_thrown(byte[] noise, int position, int cut)
    {
        var message = Valid();
        var at = (int)((uint)position % (uint)message.Length);
        for (var i = 0; i < noise.Length && at + i < message.Length; i++)
        {
            message[at + i] = noise[i];
        }

        var length = cut % 3 == 0 ? (int)((uint)cut % (uint)(message.Length + 1)) : message.Length;
        var (decoder, sink, _) = New();
        decoder.Decode(message.AsSpan(0, length), IPAddressValue.None, sink);
        decoder.Decode(Valid(), IPAddressValue.None, sink); // state after garbage still decodes good input
        return (decoder.Counters.IsBalanced && sink.Records.Count >= 3 && decoder.Counters.Read >= 1)
            .Label($"{decoder.Counters} at {at}, cut to {length}");
    }

    /// <summary>The same for NetFlow v9.</summary>
    [Property(Replay = Replay, MaxTest = 2000)]
    public Property Corrupted_v9_packets_are_reported_never_thrown(byte[] noise, int position)
    {
        var packet = new V9Builder().Template(256, DecoderTests.V4Fields).OptionsTemplate(260, [(1, 4)], [(95, 4), (96, 8)])
            .Data(256, DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 1, 2)).Data(260, Cat(U32(0), [13, 0, 0, 1], Text("dns", 8))).Build();
        var at = (int)((uint)position % (uint)packet.Length);
        for (var i = 0; i < noise.Length && at + i < packet.Length; i++)
        {
            packet[at + i] = noise[i];
        }

        var (decoder, sink, _) = New();
        decoder.Decode(packet, IPAddressValue.None, sink);
        return decoder.Counters.IsBalanced.Label(decoder.Counters.ToString());
    }
}
