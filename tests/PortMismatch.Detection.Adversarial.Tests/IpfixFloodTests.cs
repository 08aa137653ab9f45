using System.Buffers.Binary;
using PortMismatch.Detection.Ipfix;

namespace PortMismatch.Detection.Adversarial.Tests;

/// <summary>
/// Template and name-table floods against <see cref="IpfixDecoder"/>: what is kept stays within the configured budgets
/// (the decoder's own counters, and the memory still reachable after a full collection), one address can only push out
/// its own state, an exporter that keeps sending during a flood from many addresses keeps being decoded, and the decoder
/// still decodes a new exporter afterwards. Messages are built once and patched in place, so the test allocates nothing
/// while it measures.
/// </summary>
[Collection(Measurements.Collection)]
public sealed class IpfixFloodTests
{
    private const int MaxIpfixMessage = 65_535;

    private static readonly IPAddressValue Exporter = IPAddressValue.Parse("192.0.2.1");
    private static readonly IPAddressValue Legitimate = IPAddressValue.Parse("203.0.113.7");

    private sealed class CountingSink : IFlowRecordSink
    {
        public long Records { get; private set; }

        public string LastApp { get; private set; } = string.Empty;

        public void OnRecord(in FlowRecord record)
        {
            Records++;
            foreach (var app in record.Apps)
            {
                LastApp = System.Text.Encoding.UTF8.GetString(app);
            }
        }
    }

    /// <summary>Counts the records of <see cref="Legitimate"/> and the others apart (by the decoder's context).</summary>
    private sealed class ExporterSink(IpfixDecoder decoder) : IFlowRecordSink
    {
        public long Legitimate { get; private set; }

        public long Others { get; private set; }

        public void OnRecord(in FlowRecord record)
        {
            if (decoder.Current.Exporter == IpfixFloodTests.Legitimate)
            {
                Legitimate++;
            }
            else
            {
                Others++;
            }
        }
    }

    private static long Reachable() => GC.GetTotalMemory(forceFullCollection: true);

    private static void Header(Span<byte> message, int length, uint domain, uint sequence)
    {
        BinaryPrimitives.WriteUInt16BigEndian(message, 10);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], (ushort)length);
        BinaryPrimitives.WriteUInt32BigEndian(message[4..], 1_764_158_400);
        BinaryPrimitives.WriteUInt32BigEndian(message[8..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(message[12..], domain);
    }

    private static void Set(Span<byte> at, int setId, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)setId);
        BinaryPrimitives.WriteUInt16BigEndian(at[2..], (ushort)length);
    }

    /// <summary>A message with template 256 (source, destination, ports, protocol) and one data record for it.</summary>
    private static byte[] TemplateAndData(uint domain, uint sequence, bool withTemplate, int destinationPort)
    {
        var template = withTemplate ? 4 + 4 + (5 * 4) : 0;
        var message = new byte[16 + template + 4 + 13];
        Header(message, message.Length, domain, sequence);
        var p = 16;
        if (withTemplate)
        {
            Set(message.AsSpan(p), 2, template);
            BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(p + 4), 256);
            BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(p + 6), 5);
            ReadOnlySpan<ushort> fields = [8, 4, 12, 4, 7, 2, 11, 2, 4, 1];
            for (var i = 0; i < fields.Length; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(p + 8 + (2 * i)), fields[i]);
            }

            p += template;
        }

        Set(message.AsSpan(p), 256, 4 + 13);
        byte[] record = [10, 0, 0, 1, 10, 0, 0, 2, 0xC3, 0x50, (byte)(destinationPort >> 8), (byte)destinationPort, 6];
        record.CopyTo(message, p + 4);
        return message;
    }

    [Fact]
    public void A_million_template_ids_from_one_exporter_stay_within_its_own_budget()
    {
        // Template ids are 16 bits, so one exporter's million distinct templates are (observation domain, id) pairs: 65,000
        // ids in each of 16 domains, 1,000 templates of five fields per message. Beyond 1,024 a domain rejects new ids;
        // beyond MaxTemplateBytesPerExporter the address evicts its own least recently used domain.
        const int Templates = 1_000_000;
        const int PerMessage = 1_000;
        const int MessagesPerDomain = 65;
        const int TemplateLength = 4 + (5 * 4);
        var options = IpfixReaderOptions.Default;
        var decoder = new IpfixDecoder(options);
        var sink = new CountingSink();
        var message = new byte[16 + 4 + (PerMessage * TemplateLength)];
        Header(message, message.Length, 0, 0);
        Set(message.AsSpan(16), 2, 4 + (PerMessage * TemplateLength));
        for (var k = 0; k < PerMessage; k++)
        {
            var at = message.AsSpan(20 + (k * TemplateLength));
            BinaryPrimitives.WriteUInt16BigEndian(at[2..], 5);
            ReadOnlySpan<ushort> fields = [8, 4, 12, 4, 7, 2, 11, 2, 4, 1];
            for (var i = 0; i < fields.Length; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(at[(4 + (2 * i))..], fields[i]);
            }
        }

        _ = decoder.Decode(TemplateAndData(1, 0, withTemplate: true, 8080), Legitimate, sink); // another exporter, first
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var m = 0; m < Templates / PerMessage; m++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), (uint)(m / MessagesPerDomain));
            for (var k = 0; k < PerMessage; k++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(20 + (k * TemplateLength)), (ushort)(256 + ((m % MessagesPerDomain) * PerMessage) + k));
            }

            _ = decoder.Decode(message, Exporter, sink);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var learned = decoder.Statistics.TemplatesLearned - 1;
        var rejected = decoder.Counters.RejectedByReason["too-many-templates"];
        TestContext.Current.TestOutputHelper?.WriteLine($"1,000,000 templates from one exporter: {learned:N0} learned, {rejected:N0} rejected, {decoder.Statistics.TemplatesEvicted:N0} evicted with {decoder.Statistics.DomainsEvicted} of its own domains; {decoder.DomainCount} domains and {decoder.TemplateBytes:N0} template bytes kept, {allocated:N0} bytes allocated");
        Assert.Equal(Templates, learned + rejected);
        Assert.InRange(decoder.TemplateBytes, 1, options.MaxTemplateBytesPerExporter + 1024);
        Assert.InRange(decoder.DomainCount, 2, 17);
        Assert.InRange(allocated, 0, options.MaxTemplateBytes);
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());

        // The other exporter was never touched; the flooding address itself still gets a new domain in (its oldest goes).
        Assert.Equal(1, decoder.Decode(TemplateAndData(1, 1, withTemplate: false, 8080), Legitimate, sink));
        Assert.Equal(1, decoder.Decode(TemplateAndData(100, 0, withTemplate: true, 8080), Exporter, sink));
    }

    [Fact]
    public void Templates_from_20000_spoofed_exporters_stay_within_the_budgets_and_an_active_exporter_keeps_being_decoded()
    {
        // Each spoofed exporter (its own address) sends 30 templates of 500 fields: 247,680 octets counted each, so 16 MiB
        // holds 67 of them and every new one evicts the least recently used. Without recycling, each datagram would leave
        // 190 KB of template arrays to the garbage collector.
        const int Exporters = 20_000;
        const int PerMessage = 30;
        const int Fields = 500;
        const int TemplateLength = 4 + (Fields * 4);
        var options = IpfixReaderOptions.Default;
        var decoder = new IpfixDecoder(options);
        var sink = new ExporterSink(decoder);
        var message = new byte[16 + 4 + (PerMessage * TemplateLength)];
        Assert.True(message.Length <= MaxIpfixMessage);
        Header(message, message.Length, 0, 0);
        Set(message.AsSpan(16), 2, 4 + (PerMessage * TemplateLength));
        for (var k = 0; k < PerMessage; k++)
        {
            var at = message.AsSpan(20 + (k * TemplateLength));
            BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)(256 + k));
            BinaryPrimitives.WriteUInt16BigEndian(at[2..], Fields);
            for (var i = 0; i < Fields; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(at[(4 + (4 * i))..], (ushort)(1000 + i)); // unknown elements of 2 octets
                BinaryPrimitives.WriteUInt16BigEndian(at[(6 + (4 * i))..], 2);
            }
        }

        var data = TemplateAndData(0, 0, withTemplate: false, 8080);
        _ = decoder.Decode(TemplateAndData(0, 0, withTemplate: true, 8080), Legitimate, sink); // an exporter that keeps sending
        long legitimateSent = 1;
        var reachableBefore = Reachable();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var e = 0; e < Exporters; e++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), (uint)e);
            _ = decoder.Decode(message, IPAddressValue.FromIPv4(0x0A00_0000u + (uint)e), sink);
            if (e % 32 == 31)
            {
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8), (uint)legitimateSent);
                _ = decoder.Decode(data, Legitimate, sink);
                legitimateSent++;
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var retained = Reachable() - reachableBefore;
        TestContext.Current.TestOutputHelper?.WriteLine($"20,000 spoofed exporters: {decoder.DomainCount} domains, {decoder.Statistics.TemplatesLearned:N0} templates learned, {decoder.Statistics.TemplatesEvicted:N0} evicted, {decoder.TemplateBytes:N0} template bytes counted, {retained:N0} bytes retained, {allocated:N0} bytes allocated ({allocated / Exporters:N0} per datagram)");
        Assert.Equal(legitimateSent, sink.Legitimate);
        Assert.InRange(decoder.DomainCount, 2, options.MaxDomains);
        Assert.InRange(decoder.TemplateBytes, 1, options.MaxTemplateBytes);
        Assert.InRange(retained, long.MinValue, options.MaxTemplateBytes * 2);
        Assert.InRange(allocated / Exporters, 0, 16 * 1024); // the template arrays are recycled: what is left is per domain
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());

        // A new exporter gets in after the flood.
        Assert.Equal(1, decoder.Decode(TemplateAndData(5, 0, withTemplate: true, 8080), IPAddressValue.Parse("192.0.2.99"), sink));
    }

    [Fact]
    public void An_options_record_name_flood_keeps_at_most_MaxApplicationNameBytes_and_an_active_exporter_keeps_its_names()
    {
        // 1,024 spoofed exporters each send 1,000 options records mapping a distinct applicationId (IE 95) to a 200-octet
        // applicationName (IE 96): 1,024,000 names, 270 MB if all were kept. An exporter that keeps sending keeps its own.
        const int Exporters = 1_024;
        const int Names = 1_000;
        const int PerMessage = 250;
        const int NameLength = 200;
        const int RecordLength = 4 + 1 + NameLength;
        var options = IpfixReaderOptions.Default;
        var decoder = new IpfixDecoder(options);
        var sink = new CountingSink();
        const int OptionsTemplate = 4 + 6 + 8;
        var message = new byte[16 + OptionsTemplate + 4 + (PerMessage * RecordLength)];
        Header(message, message.Length, 0, 0);
        var p = 16;
        Set(message.AsSpan(p), 3, OptionsTemplate);
        byte[] template = [0x01, 0x90, 0, 2, 0, 1, 0, 95, 0, 4, 0, 96, 0xFF, 0xFF]; // id 400, 2 fields, 1 scope
        template.CopyTo(message, p + 4);
        p += OptionsTemplate;
        Set(message.AsSpan(p), 400, 4 + (PerMessage * RecordLength));
        p += 4;
        for (var k = 0; k < PerMessage; k++)
        {
            var record = message.AsSpan(p + (k * RecordLength));
            record[0] = 13; // PANA-L7
            record[4] = NameLength;
            record.Slice(5, NameLength).Fill((byte)'a');
        }

        // The active exporter: selector 7 is "http", then data records of template 257 that carry selector 7.
        byte[] names =
        [
            0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // header, patched below
            0, 3, 0, 18, 1, 0x91, 0, 2, 0, 1, 0, 95, 0, 4, 0, 96, 0, 4, // options template 401: IE 95 (4), IE 96 (4)
            1, 0x91, 0, 12, 13, 0, 0, 7, (byte)'h', (byte)'t', (byte)'t', (byte)'p',
        ];
        Header(names, names.Length, 0, 0);
        byte[] data =
        [
            0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // header, patched below
            0, 2, 0, 28, 1, 1, 0, 5, 0, 8, 0, 4, 0, 12, 0, 4, 0, 7, 0, 2, 0, 11, 0, 2, 0, 95, 0, 4, // template 257
            1, 1, 0, 21, 10, 0, 0, 1, 10, 0, 0, 2, 0xC3, 0x50, 0x1F, 0x90, 13, 0, 0, 7, 0, // one record: selector 7, padding
        ];
        Header(data, data.Length, 0, 1);
        _ = decoder.Decode(names, Legitimate, sink);

        var reachableBefore = Reachable();
        for (var e = 0; e < Exporters; e++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), (uint)e);
            for (var batch = 0; batch < Names / PerMessage; batch++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), (uint)(batch * PerMessage)); // sequence: records so far
                for (var k = 0; k < PerMessage; k++)
                {
                    var record = message.AsSpan(p + (k * RecordLength));
                    var id = (batch * PerMessage) + k;
                    record[1] = (byte)(id >> 16);
                    record[2] = (byte)(id >> 8);
                    record[3] = (byte)id;
                    for (var j = 0; j < 6; j++)
                    {
                        record[5 + 100 + j] = (byte)('a' + ((id >> (4 * j)) & 15)); // distinct names too
                    }
                }

                _ = decoder.Decode(message, IPAddressValue.FromIPv4(0x0A00_0000u + (uint)e), sink);
            }

            if (e % 4 == 3)
            {
                Assert.Equal(1, decoder.Decode(data, Legitimate, sink));
                Assert.Equal("http", sink.LastApp);
            }
        }

        var retained = Reachable() - reachableBefore;
        TestContext.Current.TestOutputHelper?.WriteLine($"1,024,000 application names: {decoder.Statistics.ApplicationNamesLearned:N0} learned, {decoder.Statistics.ApplicationNamesDropped:N0} dropped, {decoder.Statistics.DomainsEvicted:N0} domains evicted, {decoder.ApplicationNameBytes:N0} bytes counted, {retained:N0} bytes retained");
        Assert.Equal((Exporters * Names) + 1, decoder.Statistics.ApplicationNamesLearned + decoder.Statistics.ApplicationNamesDropped);
        Assert.InRange(decoder.ApplicationNameBytes, 1, options.MaxApplicationNameBytes);
        Assert.InRange(retained, long.MinValue, (2 * options.MaxApplicationNameBytes) + (options.MaxDomains * 1024L));
        Assert.True(decoder.Counters.IsBalanced, decoder.Counters.ToString());

        // The last spoofed exporter's names are there (the newest state stays): its domain is its index.
        byte[] last = [.. data];
        BinaryPrimitives.WriteUInt32BigEndian(last.AsSpan(12), Exporters - 1);
        Assert.Equal(1, decoder.Decode(last, IPAddressValue.FromIPv4(0x0A00_0000u + Exporters - 1), sink));
        Assert.Equal(NameLength, sink.LastApp.Length);
    }
}
