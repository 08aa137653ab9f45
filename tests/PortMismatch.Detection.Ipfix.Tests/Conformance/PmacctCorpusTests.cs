using System.Text.Json;

namespace PortMismatch.Detection.Ipfix.Tests.Conformance;

/// <summary>
/// Replays pmacct's nfacctd regression captures (pcap of real Cisco / Huawei exports) and checks that every
/// (src, dst, sport, dport, proto) that nfacctd reports is among the decoded records. nfacctd aggregates, so its rows are
/// a projection of the records, not one per record.
/// </summary>
public sealed class PmacctCorpusTests
{
    public static TheoryData<string> Tests() =>
    [
        "100-IPFIXv10-CISCO", "101-NFv9-CISCO-cust_primitives", "104-IPFIXv10-IPv6-CISCO-sampling_option",
        "106-IPFIXv10-HUAWEI-vrf_name", "111-IPFIXv10-NFv9-IPv6-IPv4-mix_sources", "112-IPFIXv10-CISCO-options-map-reassignment",
    ];

    [Theory]
    [MemberData(nameof(Tests))]
    public async Task Every_nfacctd_row_is_among_the_decoded_records(string test)
    {
        var folder = Path.Combine(Repository.CorpusOrSkip("ipfix"), "pmacct-tests", test);
        var decoder = new IpfixDecoder(IpfixReaderOptions.Default with { IncludeReplies = true });
        var sink = new CollectingSink();
        foreach (var pcap in Directory.GetFiles(folder, "traffic-*.pcap").Order(StringComparer.Ordinal))
        {
            await IpfixInput.ReadFileAsync(pcap, sink, decoder, TestContext.Current.CancellationToken);
        }

        var decoded = sink.Records.Select(r => (r.Source, r.Destination, r.SourcePort ?? 0, r.DestinationPort ?? 0, r.Transport)).ToHashSet();
        var rows = 0;
        var missing = new List<string>();
        foreach (var line in File.ReadLines(Path.Combine(folder, "output-flow-00.json")).Where(l => l.Length > 0))
        {
            using var row = JsonDocument.Parse(line);
            var r = row.RootElement;
            if (!r.TryGetProperty("ip_src", out var src))
            {
                continue;
            }

            rows++;
            var transport = r.GetProperty("ip_proto").GetString() switch { "tcp" => Transport.Tcp, "udp" => Transport.Udp, _ => Transport.Other };
            var key = (src.GetString()!, r.GetProperty("ip_dst").GetString()!, r.GetProperty("port_src").GetInt32(), r.GetProperty("port_dst").GetInt32(), transport);
            if (!decoded.Contains(key))
            {
                missing.Add(key.ToString());
            }
        }

        TestReport.WriteLine($"{test}: {decoder.Counters}; {decoder.Statistics.Messages} messages, {decoder.Statistics.PacketsIgnored} packets ignored; {rows} nfacctd rows, {sink.Records.Count} records");
        Assert.True(decoder.Counters.IsBalanced);
        Assert.Equal(0, decoder.Counters.Rejected);
        Assert.True(rows > 0);
        Assert.True(missing.Count == 0, "missing: " + string.Join("; ", missing));
    }
}
