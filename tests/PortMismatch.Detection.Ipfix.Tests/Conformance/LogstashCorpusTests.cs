using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PortMismatch.Detection.Ipfix.Tests.Conformance;

/// <summary>
/// Feeds every .dat of logstash-codec-netflow's spec, in the order each expected/*.json names, and compares addresses,
/// ports, protocol and application identity with Logstash's decodes (decode[i] is the i-th data or options record).
/// </summary>
public sealed partial class LogstashCorpusTests
{
    // Differences we accept, with the reason (the context name, then what differs).
    private static readonly Dictionary<string, string> KnownDifferences = new(StringComparer.Ordinal)
    {
        ["IPFIX: 13 records, Logstash decodes 7"] =
            "ipfix.dat holds three concatenated messages (RFC 5655); the spec feeds it as one datagram and Logstash stops after the first. The first 7 records match.",
        ["IPFIX Procera: decode[7].sourceIPv6Address"] = "the template carries both families; the IPv6 fields are '::' and the IPv4 ones are the flow's",
        ["IPFIX Procera: decode[7].destinationIPv6Address"] = "same",
        ["Netflow 9 Cisco WLC: decode[18]"] =
            "the WLC template has no address or port (per-client application statistics by MAC): skipped as not-a-flow, so app records without ports do not all become dest_port 0 mismatches",
        ["Netflow 9 nprobe DPI L7: decode[0].application_name"] =
            "the name field holds binary bytes starting with NUL; the decoder falls back to applicationId 0:82 (Logstash's '0..82')",
    };

    [Fact]
    public void Every_context_decodes_like_logstash()
    {
        var corpus = Path.Combine(Repository.CorpusOrSkip("ipfix"), "logstash-codec-netflow");
        var output = TestContext.Current.TestOutputHelper;
        var differences = new List<string>();
        long files = 0, read = 0, accepted = 0, rejected = 0, skipped = 0, contexts = 0, compared = 0;
        foreach (var expectedFile in Directory.GetFiles(Path.Combine(corpus, "expected"), "*.json").Order(StringComparer.Ordinal))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(expectedFile));
            var root = json.RootElement;
            var context = root.GetProperty("context").GetString()!;
            var datFiles = root.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToArray();
            if (datFiles.Any(f => f.StartsWith("netflow5", StringComparison.Ordinal)))
            {
                continue; // NetFlow v5 has no application identity: its records are counted and skipped (V5_files_are_counted_not_decoded)
            }

            contexts++;
            var events = new List<object>();
            var sink = new ListSink(events);
            var decoder = new IpfixDecoder(IpfixReaderOptions.Default with { IncludeReplies = true }, diagnostics: d =>
            {
                if (d.Reason is "options-record" or "not-a-flow")
                {
                    events.Add(d.Reason);
                }
            });
            sink.Inner.Decoder = decoder;
            foreach (var dat in datFiles)
            {
                files++;
                decoder.Decode(File.ReadAllBytes(Path.Combine(corpus, "dat", dat)), IPAddressValue.None, sink);
            }

            Assert.True(decoder.Counters.IsBalanced, $"{context}: {decoder.Counters}");
            read += decoder.Counters.Read;
            accepted += decoder.Counters.Accepted;
            rejected += decoder.Counters.Rejected;
            skipped += decoder.Counters.Skipped;
            var jsonEvents = root.GetProperty("json_events").EnumerateArray().ToArray();
            var flows = events.Count(e => e is FlowSnapshot);
            output?.WriteLine($"{context}: {events.Count} events ({flows} flows) {decoder.Counters} rejected[{string.Join(",", decoder.Counters.RejectedByReason.Select(kv => $"{kv.Key}={kv.Value}"))}] skipped[{string.Join(",", decoder.Counters.SkippedByReason.Select(kv => $"{kv.Key}={kv.Value}"))}]");
            foreach (var e in events.OfType<FlowSnapshot>())
            {
                output?.WriteLine($"    {e.Source}:{e.SourcePort} -> {e.Destination}:{e.DestinationPort} {e.Transport} app={e.App} t={DateTimeOffset.FromUnixTimeMilliseconds(e.Time / 1000):O} dir={e.Context.Direction}");
            }

            foreach (var assertion in root.GetProperty("assertions").EnumerateArray().Select(a => a.GetString()!))
            {
                var size = SizeAssertion().Match(assertion);
                if (size.Success && int.Parse(size.Groups[1].Value, CultureInfo.InvariantCulture) != events.Count)
                {
                    differences.Add($"{context}: {events.Count} records, Logstash decodes {size.Groups[1].Value}");
                    continue;
                }

                var whole = WholeEventAssertion().Match(assertion);
                if (whole.Success)
                {
                    var index = int.Parse(whole.Groups[1].Value, CultureInfo.InvariantCulture);
                    var expected = jsonEvents[int.Parse(whole.Groups[2].Value, CultureInfo.InvariantCulture)].GetProperty("netflow");
                    var fields = expected.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
                    compared += Compare(context, index, events, fields, differences);
                    continue;
                }

                var single = FieldAssertion().Match(assertion);
                if (single.Success)
                {
                    var index = int.Parse(single.Groups[1].Value, CultureInfo.InvariantCulture);
                    var value = single.Groups[3].Value.Trim().Replace('\'', '"');
                    JsonElement parsed;
                    try
                    {
                        parsed = JsonDocument.Parse(value).RootElement.Clone();
                    }
                    catch (JsonException)
                    {
                        continue;
                    }

                    compared += Compare(context, index, events, new Dictionary<string, JsonElement>(StringComparer.Ordinal) { [single.Groups[2].Value] = parsed }, differences);
                }
            }
        }

        TestReport.WriteLine($"contexts {contexts}, files {files}, records read {read} = accepted {accepted} + rejected {rejected} + skipped {skipped}; {compared} field comparisons");
        var unexpected = differences.Where(d => !KnownDifferences.Keys.Any(k => d.StartsWith(k, StringComparison.Ordinal))).ToList();
        foreach (var d in differences)
        {
            TestReport.WriteLine("DIFF " + d);
        }

        Assert.True(unexpected.Count == 0, string.Join(Environment.NewLine, unexpected));
        Assert.True(compared > 100, $"only {compared} comparisons: the expected files were not understood");
        Assert.Equal(0, rejected); // every real export decodes without a malformed record
    }

    private static int Compare(string context, int index, List<object> events, Dictionary<string, JsonElement> fields, List<string> differences)
    {
        if (index >= events.Count)
        {
            differences.Add($"{context}: decode[{index}] missing (have {events.Count})");
            return 1;
        }

        var compared = 0;
        var e = events[index] as FlowSnapshot;
        if (events[index] is "options-record")
        {
            return 0; // options records are not flows; what they teach is checked by Nbar_options_name_the_application_ids
        }

        foreach (var (name, value) in fields)
        {
            string? expected;
            string? actual;
            switch (name)
            {
                case "ipv4_src_addr" or "sourceIPv4Address" or "ipv6_src_addr" or "sourceIPv6Address":
                    (expected, actual) = (value.GetString(), e?.Source);
                    break;
                case "ipv4_dst_addr" or "destinationIPv4Address" or "ipv6_dst_addr" or "destinationIPv6Address":
                    (expected, actual) = (value.GetString(), e?.Destination);
                    break;
                case "l4_src_port" or "sourceTransportPort":
                    (expected, actual) = (value.ToString(), e?.SourcePort?.ToString(CultureInfo.InvariantCulture));
                    break;
                case "l4_dst_port" or "destinationTransportPort":
                    (expected, actual) = (value.ToString(), e?.DestinationPort?.ToString(CultureInfo.InvariantCulture));
                    break;
                case "protocol" or "protocolIdentifier":
                    (expected, actual) = (value.ToString(), e is null ? null : ProtocolOf(e.Transport, value.GetInt32()));
                    break;
                case "app_id" or "applicationName" or "application_name" or "proceraService" or "ixiaL7AppName":
                    (expected, actual) = (value.GetString()?.TrimEnd('\0'), e?.App);
                    break;
                case "application_id" or "applicationId":
                    expected = value.GetString()?.Replace("..", ":", StringComparison.Ordinal);
                    actual = e?.App;
                    if (actual is not null && !actual.Contains(':', StringComparison.Ordinal))
                    {
                        expected = actual; // resolved to a name through an options record: Logstash keeps the id
                    }

                    break;
                case "silkAppLabel":
                    (expected, actual) = (value.GetInt32() switch { 0 => null, 53 => "dns", 80 => "http", 443 => "ssl", var n => "yaf:" + n }, e?.App);
                    break;
                default:
                    continue;
            }

            compared++;
            if (!string.Equals(expected, actual, StringComparison.Ordinal))
            {
                differences.Add($"{context}: decode[{index}].{name} expected '{expected}', got '{actual}' ({(e is null ? events[index] : "flow")})");
            }
        }

        return compared;
    }

    // The library maps protocol numbers to a transport; compare what it can represent.
    private static string ProtocolOf(Transport transport, int expected) => transport switch
    {
        Transport.Tcp => "6",
        Transport.Udp => "17",
        Transport.Other when expected is not (6 or 17) => expected.ToString(CultureInfo.InvariantCulture),
        _ => "?",
    };

    [Fact]
    public async Task The_file_entry_point_recognises_every_dat_and_decodes_what_the_span_decoder_does()
    {
        var corpus = Path.Combine(Repository.CorpusOrSkip("ipfix"), "logstash-codec-netflow", "dat");
        var files = 0;
        foreach (var dat in Directory.GetFiles(corpus, "*.dat").Order(StringComparer.Ordinal))
        {
            files++;
            var viaSpan = new IpfixDecoder();
            viaSpan.Decode(File.ReadAllBytes(dat), IPAddressValue.None, new CollectingSink());
            var counters = await IpfixInput.ReadFileAsync(dat, new CollectingSink(), cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(counters.IsBalanced, dat);
            Assert.Equal(viaSpan.Counters.ToString(), counters.ToString());
        }

        Assert.True(files > 80, $"{files} files");
    }

    [Fact]
    public void V5_files_are_counted_not_decoded()
    {
        // NetFlow v5 has no application field: every record Logstash decodes is read and skipped as netflow-v5 (its flow in
        // the diagnostic), and the two files whose count Logstash refuses are one rejected header each.
        var corpus = Path.Combine(Repository.CorpusOrSkip("ipfix"), "logstash-codec-netflow");
        var contexts = 0;
        foreach (var expectedFile in Directory.GetFiles(Path.Combine(corpus, "expected"), "*.json").Order(StringComparer.Ordinal))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(expectedFile));
            var root = json.RootElement;
            var files = root.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToArray();
            if (!files.Any(f => f.StartsWith("netflow5", StringComparison.Ordinal)))
            {
                continue;
            }

            var dat = Assert.Single(files);

            contexts++;
            var context = root.GetProperty("context").GetString()!;
            var diagnostics = new List<InputDiagnostic>();
            var decoder = new IpfixDecoder(diagnostics: diagnostics.Add);
            decoder.Decode(File.ReadAllBytes(Path.Combine(corpus, "dat", dat)), IPAddressValue.None, new CollectingSink());
            var skipped = diagnostics.Where(d => d.Reason == "netflow-v5").ToList();
            Assert.True(decoder.Counters.IsBalanced, context);
            Assert.Equal(0, decoder.Counters.Accepted);
            var assertions = root.GetProperty("assertions").EnumerateArray().Select(a => a.GetString()!).ToList();
            if (assertions.Count == 0)
            {
                Assert.Equal("read 1 = accepted 0 + rejected 1 + skipped 0", decoder.Counters.ToString()); // Logstash: "invalid"
                Assert.Equal("bad-message-length", Assert.Single(diagnostics).Reason);
                continue;
            }

            var size = int.Parse(assertions.Select(a => SizeAssertion().Match(a)).First(m => m.Success).Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(skipped.Count >= size, $"{context}: {skipped.Count} records, Logstash decodes {size}"); // Logstash reads a file's first packet only
            Assert.Equal(decoder.Counters.Read, skipped.Count);
            foreach (var field in assertions.Select(a => FieldAssertion().Match(a)).Where(m => m.Success))
            {
                var message = skipped[int.Parse(field.Groups[1].Value, CultureInfo.InvariantCulture)].Message;
                var value = field.Groups[3].Value.Trim().Trim('"');
                var expected = field.Groups[2].Value switch
                {
                    "ipv4_src_addr" => $"({value}:",
                    "ipv4_dst_addr" => $"-> {value}:",
                    "l4_src_port" => $":{value} ->",
                    "l4_dst_port" => $":{value}, protocol",
                    _ => null,
                };
                if (expected is not null)
                {
                    Assert.Contains(expected, message, StringComparison.Ordinal);
                }
            }
        }

        Assert.Equal(5, contexts);
    }

    [Fact]
    public void Nbar_options_name_the_application_ids_of_later_data_records()
    {
        var corpus = Path.Combine(Repository.CorpusOrSkip("ipfix"), "logstash-codec-netflow");
        var options = File.ReadAllBytes(Path.Combine(corpus, "dat", "netflow9_test_cisco_nbar_opttpl260.dat"));
        var decoder = new IpfixDecoder();
        var sink = new CollectingSink();
        decoder.Decode(options, IPAddressValue.None, sink);
        Assert.Equal(15, decoder.Statistics.ApplicationNamesLearned);

        // A data record of the same exporter and source id naming applicationId 1..13 (IANA-L3 protocol 13, "argus").
        var sourceId = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(options.AsSpan(16));
        var data = new V9Builder(sourceId, sequence: 1)
            .Template(300, (8, 4), (12, 4), (95, 4))
            .Data(300, [10, 0, 0, 1, 10, 0, 0, 2, 1, 0, 0, 13])
            .Build();
        decoder.Decode(data, IPAddressValue.None, sink);
        Assert.Equal("argus", Assert.Single(sink.Records).App);
    }

    [GeneratedRegex(@"expect\(decode\.size\)\.to eq\((\d+)\)")]
    private static partial Regex SizeAssertion();

    [GeneratedRegex(@"expect\(JSON\.parse\(decode\[(\d+)\]\.to_json\)\)\.to eq\(JSON\.parse\(json_events\[(\d+)\]\)\)")]
    private static partial Regex WholeEventAssertion();

    [GeneratedRegex(@"expect\(decode\[(\d+)\]\.get\(""\[netflow\]\[(\w+)\]""\)\)\.to eq\((.+)\)$")]
    private static partial Regex FieldAssertion();

    private sealed class ListSink(List<object> events) : IFlowRecordSink
    {
        public CollectingSink Inner { get; } = new();

        public void OnRecord(in FlowRecord record)
        {
            Inner.OnRecord(record);
            events.Add(Inner.Records[^1]);
        }
    }
}
