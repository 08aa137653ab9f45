namespace PortMismatch.Detection.Interop.Tests.Zeek;

public sealed class ZeekValidsImportTests
{
    // As a site's local.zeek keeps it: @load, comments, tabs, CRLF in places, both tag spellings, IPv6, every direction.
    private const string LocalZeek =
        "# local.zeek\n" +
        "@load policy/frameworks/analyzer/detect-protocols\r\n" +
        "\n" +
        "redef ProtocolDetector::valids += {\n" +
        "\t# benign HTTP servers\n" +
        "\t[Analyzer::ANALYZER_HTTP, 0.0.0.0, 81/tcp] = ProtocolDetector::BOTH,\n" +
        "\t[Analyzer::ANALYZER_SSL, 192.0.2.10, 8444/tcp] = BOTH,   # the portal\n" +
        "\t[AllAnalyzers::ANALYZER_ANALYZER_DNS, [2001:db8::53], 5353/udp] = ProtocolDetector::BOTH,\n" +
        "\t[Analyzer::ANALYZER_KRB_TCP,\n\t\t0.0.0.0, 750/tcp] = ProtocolDetector::INCOMING,\n" +
        "\t[Analyzer::ANALYZER_HTTP, 0.0.0.0, 8001/tcp] = ProtocolDetector::OUTGOING,\n" +
        "\t[Analyzer::ANALYZER_HTTP, 192.0.2.20, 8002/tcp] = ProtocolDetector::OUTGOING,\n" +
        "\t[Analyzer::ANALYZER_HTTP, 0.0.0.0, 88/tcp] = ProtocolDetector::NONE,\n" +
        "\t[Analyzer::ANALYZER_HTTP, 192.0.2.99, 81/tcp] = ProtocolDetector::NONE,\n" +
        "};\n" +
        "redef ProtocolDetector::valids += { [Analyzer::ANALYZER_SNMP, 10.1.2.3, 1161/udp] = BOTH };\n";

    [Fact]
    public void Entries_that_allow_become_allow_list_entries_and_the_rest_is_named()
    {
        var result = ZeekValidsImport.Read(LocalZeek, "local.zeek");
        var entries = result.AllowList.ToList();

        Assert.Equal(4, entries.Count);
        AssertEntry(entries[0], "http", 81, Transport.Tcp, null);
        AssertEntry(entries[1], "ssl", 8444, Transport.Tcp, "192.0.2.10/32");
        AssertEntry(entries[2], "dns", 5353, Transport.Udp, "2001:db8::53/128");
        AssertEntry(entries[3], "snmp", 1161, Transport.Udp, "10.1.2.3/32");
        Assert.Equal("Zeek ProtocolDetector::valids (local.zeek:6): [Analyzer::ANALYZER_HTTP, 0.0.0.0, 81/tcp] = ProtocolDetector::BOTH", entries[0].Comment);

        var left = result.LeftOut.Select(o => o.Subject).ToList();
        Assert.Equal(5, left.Count);
        Assert.Contains(left, s => s.StartsWith("local.zeek:9: [Analyzer::ANALYZER_KRB_TCP, 0.0.0.0, 750/tcp] = ProtocolDetector::INCOMING", StringComparison.Ordinal));
        Assert.Contains(left, s => s.StartsWith("local.zeek:11:", StringComparison.Ordinal));
        Assert.Contains(left, s => s.StartsWith("local.zeek:12:", StringComparison.Ordinal));
        Assert.Contains(left, s => s.StartsWith("local.zeek:13:", StringComparison.Ordinal));
        Assert.Contains(result.LeftOut, o => o.Subject.StartsWith("local.zeek:14:", StringComparison.Ordinal) && o.Reason.Contains("takes the 0.0.0.0 entry back", StringComparison.Ordinal));
    }

    [Fact]
    public void With_the_local_networks_incoming_and_outgoing_are_decided()
    {
        var result = ZeekValidsImport.Read(LocalZeek, "local.zeek", [IPNetworkValue.Parse("10.0.0.0/8"), IPNetworkValue.Parse("192.168.0.0/16")]);
        var krb = result.AllowList.Where(e => e.App == "krb_tcp").ToList();

        Assert.Equal(["10.0.0.0/8", "192.168.0.0/16"], krb.Select(e => e.DestinationNetwork.ToString()));
        Assert.All(krb, e => Assert.Equal(PortSet.Of(750), e.DestinationPorts));
        AssertEntry(Assert.Single(result.AllowList, e => e.DestinationPorts!.Contains(8002)), "http", 8002, Transport.Tcp, "192.0.2.20/32"); // 192.0.2.20 is not local: OUTGOING allows it
        Assert.Contains(result.LeftOut, o => o.Subject.StartsWith("local.zeek:11:", StringComparison.Ordinal) && o.Reason.Contains("outside", StringComparison.Ordinal));
    }

    [Fact]
    public void Assignment_replaces_what_came_before_and_a_later_entry_replaces_an_equal_key()
    {
        var result = ZeekValidsImport.Read(
            "redef ProtocolDetector::valids += { [Analyzer::ANALYZER_HTTP, 0.0.0.0, 81/tcp] = BOTH };\n" +
            "redef ProtocolDetector::valids = { [Analyzer::ANALYZER_FTP, 0.0.0.0, 2121/tcp] = BOTH, [Analyzer::ANALYZER_FTP, 0.0.0.0, 2122/tcp] = BOTH, };\n" +
            "redef ProtocolDetector::valids += { [Analyzer::ANALYZER_FTP, 0.0.0.0, 2122/tcp] = NONE };",
            "x.zeek");

        AssertEntry(Assert.Single(result.AllowList), "ftp", 2121, Transport.Tcp, null);
        Assert.Single(result.LeftOut);
    }

    [Fact]
    public void Comments_and_whitespace_alone_are_an_empty_allow_list()
    {
        var result = ZeekValidsImport.Read("# nothing yet\n\n   \t# still nothing\n@load policy/frameworks/analyzer/detect-protocols\n", "empty.zeek");

        Assert.Empty(result.AllowList);
        Assert.Empty(result.LeftOut);
    }

    [Theory]
    [InlineData("redef ProtocolDetector::valids += { [Analyzer::ANALYZER_HTTP, 0.0.0.0, 81/tcp] = BOTH }", 1, 88, "expected ';'")]
    [InlineData("redef Site::local_nets += { 10.0.0.0/8 };", 1, 7, "only ProtocolDetector::valids")]
    [InlineData("# a comment\n\nevent zeek_init() { }", 3, 1, "only 'redef ProtocolDetector::valids'")]
    [InlineData("redef ProtocolDetector::valids += {\n  [Files::ANALYZER_PE, 0.0.0.0, 81/tcp] = BOTH };", 2, 4, "protocol analyzer tag")]
    [InlineData("redef ProtocolDetector::valids += {\n  [Analyzer::ANALYZER_HTTP, 0.0.0.0, 70000/tcp] = BOTH };", 2, 38, "above 65535")]
    [InlineData("redef ProtocolDetector::valids += {\n  [Analyzer::ANALYZER_HTTP, 0.0.0.0, 81/sctp] = BOTH };", 2, 38, "no transport")]
    [InlineData("redef ProtocolDetector::valids += {\n  [Analyzer::ANALYZER_HTTP, 300.1.1.1, 81/tcp] = BOTH };", 2, 29, "expected an address")]
    [InlineData("redef ProtocolDetector::valids += {\n  [Analyzer::ANALYZER_HTTP, [2001:db8::1, 81/tcp] = BOTH };", 2, 29, "no IPv6 address")]
    [InlineData("redef ProtocolDetector::valids += {\n  [Analyzer::ANALYZER_HTTP, 0.0.0.0, 81/tcp] = SOMETIMES };", 2, 48, "expected ProtocolDetector::NONE")]
    [InlineData("redef ProtocolDetector::valids += {\n  [Analyzer::ANALYZER_HTTP, 0.0.0.0, 81/tcp] = BOTH,", 2, 53, "end of input")]
    [InlineData("redef ProtocolDetector::valids += {\n  [Analyzer::ANALYZER_HTTP, 0.0.0.0, 81/tcp] = BOTH [", 2, 53, "expected ',' or '}'")]
    [InlineData("redef ProtocolDetector::valids -= { };", 1, 32, "expected '+=' or '='")]
    [InlineData("redef ProtocolDetector::valids += { [Analyzer::ANALYZER_HTTP, 0.0.0.0, tcp] = BOTH };", 1, 72, "expected a port")]
    [InlineData("\u0001", 1, 1, "only 'redef")]
    public void Bad_input_is_an_import_error_with_its_line_and_column(string text, int line, int column, string reason)
    {
        var error = Assert.Throws<RuleImportException>(() => ZeekValidsImport.Read(text, "bad.zeek"));

        Assert.Equal("bad.zeek", error.SourceName);
        Assert.True((line, column) == (error.Line, error.Column), $"{error.Line}:{error.Column} {error.Message}");
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("\u0001", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mutated_input_is_read_or_an_import_error_never_another_exception()
    {
        const int seed = 2209;
        var random = Support.TestSeed.Random(seed);
        const string alphabet = "[]{},;=+#@/:.0123456789abcdefABCDEF_ \t\n\r%\u0000\u00e9";
        int read = 0, rejected = 0;
        for (var n = 0; n < 5_000; n++)
        {
            var text = new System.Text.StringBuilder(LocalZeek);
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                var at = random.Next(text.Length);
                switch (random.Next(3))
                {
                    case 0:
                        text.Remove(at, Math.Min(random.Next(1, 6), text.Length - at));
                        break;
                    case 1:
                        text.Insert(at, alphabet[random.Next(alphabet.Length)]);
                        break;
                    default:
                        text[at] = alphabet[random.Next(alphabet.Length)];
                        break;
                }
            }

            try
            {
                ZeekValidsImport.Read(text.ToString(), "mutated.zeek", [IPNetworkValue.Parse("10.0.0.0/8")]);
                read++;
            }
            catch (RuleImportException e)
            {
                Assert.True(e.Line >= 1 && e.Column >= 1, $"seed {seed}, mutation {n}: {e.Message}");
                rejected++;
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(FormattableString.Invariant($"{read} read, {rejected} rejected"));
        Assert.True(read > 100 && rejected > 1_000, $"{read} read, {rejected} rejected");
    }

    [Theory]
    [InlineData("[fe80::1%eth0]")]
    [InlineData("[::ffff:1.2.3.4%1]")]
    public void A_scoped_IPv6_address_is_an_import_error(string address)
    {
        var error = Assert.Throws<RuleImportException>(() => ZeekValidsImport.Read($"redef ProtocolDetector::valids += {{ [Analyzer::ANALYZER_HTTP, {address}, 81/tcp] = BOTH }};", "v6.zeek"));

        Assert.Equal(63, error.Column);
    }

    [Fact]
    public void The_imported_allow_list_drops_what_Zeek_would_not_report()
    {
        // HTTP on 81 breaks escu-http; the imported entry drops it, as valids stops Zeek's Protocol_Found there.
        var allow = ZeekValidsImport.Read(LocalZeek, "local.zeek").AllowList;
        var records = new List<Support.SampleRecord>
        {
            new("10.0.0.1", "198.51.100.7", ["http"], 81, Transport.Tcp, 1_700_000_000_000_000),
            new("10.0.0.1", "198.51.100.7", ["http"], 82, Transport.Tcp, 1_700_000_000_000_001),
            new("10.0.0.1", "192.0.2.10", ["ssl"], 8444, Transport.Tcp, 1_700_000_000_000_002),
            new("10.0.0.1", "192.0.2.11", ["ssl"], 8444, Transport.Tcp, 1_700_000_000_000_003),
        };

        var rows = Support.TrafficSample.LibraryRows(RuleSet.Escu, allow, records, AppGrouping.AllValues);

        Assert.Equal([(82, "198.51.100.7"), (8444, "192.0.2.11")], rows.Select(r => (r.Port, r.Destination)).Order());
    }

    private static void AssertEntry(AllowListEntry entry, string app, int port, Transport transport, string? destination)
    {
        Assert.Equal(app, entry.App);
        Assert.Equal(PortSet.Of(port), entry.DestinationPorts);
        Assert.Equal(transport, entry.Transport);
        Assert.Equal(destination, entry.DestinationNetwork?.ToString());
        Assert.Null(entry.SourceNetwork);
    }
}
