using System.Text;
using PortMismatch.Detection.Interop.Tests.Support;

namespace PortMismatch.Detection.Interop.Tests.Splunk;

public sealed class SplunkLookupImportTests
{
    // As teams keep them: extra columns, quoted cells with commas, "" and a line break, port lists and ranges, *.
    private const string Lookup = "\uFEFFApp,Dest_Port,transport,src_ip,dest,description,owner\r\n"
        + "dns,\"5353, 5355\",udp,,,\"mDNS and LLMNR, \"\"multicast\"\"\",netops\r\n"
        + "ssl,5228 - 5230,TCP,*,,Google push,mobile\r\n"
        + "ssl,5223,tcp,,17.0.0.0/8,\"Apple push\nAPNs\",mobile\r\n"
        + "http,631;8631,,10.20.0.5,,printers,\r\n"
        + "*,8443 9443,,,2001:db8::/32,,lab\r\n"
        + "\r\n"
        + "back\\slash,1,other,,,,x\r\n";

    [Fact]
    public void A_lookup_reads_as_an_allow_list_one_entry_a_row()
    {
        var list = SplunkImport.ReadLookup(Lookup, "allowed.csv");

        Assert.Equal(
            [
                "app=dns dest_port=5353, 5355 transport=udp (mDNS and LLMNR, \"multicast\")",
                "app=ssl dest_port=5228-5230 transport=tcp (Google push)",
                "app=ssl dest_port=5223 dest=17.0.0.0/8 transport=tcp (Apple push\nAPNs)",
                "app=http dest_port=631, 8631 src=10.20.0.5/32 (printers)",
                "dest_port=8443, 9443 dest=2001:db8::/32 (imported from allowed.csv line 7)",
                "app=back\\x5cslash dest_port=1 transport=other (imported from allowed.csv line 9)",
            ],
            list.Select(e => e.ToString()));

        // saved as our JSON and loaded back, it is the same list
        var saved = AllowListJson.Parse(Encoding.UTF8.GetBytes(AllowListJson.ToJson(list)));
        SplunkMacroImportTests.AssertSameEntries(list, saved);
    }

    [Fact]
    public void A_lookup_reads_as_a_rule_set_one_rule_per_app_and_transport_with_address_rows_as_exemptions()
    {
        const string Csv = "app,dest_port,transport,src_ip,dest_ip,comment\n"
            + "dns,53,,,,resolvers\n"
            + "DNS,5353,,,,mdns\n"
            + "dns,5300,,10.0.0.0/8,,the lab resolver\n"
            + "ssl,443,tcp,,,web\n"
            + "ssl,8443,tcp,,,alt\n"
            + "ssl,443,udp,,,quic-ish\n"
            + "telnet,,,,,anywhere\n";

        var rules = SplunkImport.ReadLookupAsRules(Csv, "allowed.csv");

        Assert.Equal(["splunk-dns", "splunk-ssl-tcp", "splunk-ssl-udp", "splunk-telnet"], rules.Select(r => r.Id));
        Assert.Equal(PortSet.Of(53, 5353), rules[0].ExpectedPorts);
        Assert.Null(rules[0].Transport);
        var exemption = Assert.Single(rules[0].Exemptions);
        Assert.Equal(("the lab resolver", IPNetworkValue.Parse("10.0.0.0/8"), PortSet.Of(5300)), (exemption.Comment, exemption.SourceNetwork!.Value, exemption.DestinationPorts!));
        Assert.Equal(PortSet.Of(443, 8443), rules[1].ExpectedPorts);
        Assert.Equal(Transport.Tcp, rules[1].Transport);
        Assert.Equal(Transport.Udp, rules[2].Transport);
        Assert.Equal(PortSet.FromRanges([new PortRange(0, 65535)]), rules[3].ExpectedPorts);

        // the rules detect what the lookup does not allow
        var evaluator = new MismatchEvaluator(rules);
        bool Flags(string app, int port, string? source = null) => evaluator.Evaluate(new SampleRecord(source ?? "192.0.2.1", "192.0.2.2", [app], port, Transport.Tcp, 0)
            .ToFlowRecord(Encoding.UTF8.GetBytes(app))).IsMismatch;
        Assert.False(Flags("dns", 53));
        Assert.True(Flags("dns", 4444));
        Assert.False(Flags("dns", 5300, "10.1.2.3"));
        Assert.True(Flags("dns", 5300));
        Assert.True(Flags("ssl", 4444));
        Assert.False(Flags("telnet", 4444));

        // and survive our JSON
        Assert.Equal(rules.Select(r => r.Id), RuleSetJson.Parse(Encoding.UTF8.GetBytes(RuleSetJson.ToJson(rules))).Select(r => r.Id));
    }

    [Theory]
    [InlineData("", 1, 0, "the lookup is empty")]
    [InlineData("user,host\nbob,x\n", 1, 0, "neither an app nor a dest_port column")]
    [InlineData("app,app\ndns,ssl\n", 1, 5, "names the column app twice")]
    [InlineData("app,dest_port\ndns,\"53\n", 2, 5, "no closing quote")]
    [InlineData("app,dest_port\ndns,5\"3\n", 2, 6, "a quote inside an unquoted field")]
    [InlineData("app,dest_port\n\"dns\"x,53\n", 2, 6, "text after the closing quote")]
    [InlineData("app,dest_port\ndns,53,extra\n", 2, 0, "the row has 3 fields and the header 2")]
    [InlineData("app,dest_port\ndns,53\nssl,4x3\n", 3, 5, "\"4x3\" is not a port")]
    [InlineData("app,dest_port\ndns,70000\n", 2, 5, "is not a port")]
    [InlineData("app,dest_port\ndns,90-80\n", 2, 5, "is not a port")]
    [InlineData("app,dest_port,transport\ndns,53,icmp\n", 2, 8, "not tcp, udp or other")]
    [InlineData("app,dest_ip\ndns,10.0.0.0/40\n", 2, 5, "not an address or a CIDR")]
    [InlineData("app,dest_port\nweb*,80\n", 2, 1, "wildcard pattern")]
    [InlineData("app,dest_port,comment\n,,nothing set\n", 2, 0, "sets no condition")]
    [InlineData("app,dest_port,comment\n\"a\nb\",1,x\n\"c,1\n", 4, 1, "no closing quote")]
    public void A_lookup_the_import_cannot_read_is_an_error_with_its_line_and_column(string csv, int line, int column, string reason)
    {
        var error = Assert.Throws<RuleImportException>(() => SplunkImport.ReadLookup(csv, "allowed.csv"));
        Assert.Equal("allowed.csv", error.SourceName);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Theory]
    [InlineData("app,dest_port\ndns,53\n,80\n", 3, 0, "the row has no app")]
    [InlineData("app,dest_port,src_ip\ndns,53,10.0.0.0/8\n", 2, 0, "has an address")]
    [InlineData("app,dest_port\n", 1, 0, "no rows")]
    public void A_lookup_that_makes_no_rules_is_an_error(string csv, int line, int column, string reason)
    {
        var error = Assert.Throws<RuleImportException>(() => SplunkImport.ReadLookupAsRules(csv, "allowed.csv"));
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void A_quoted_empty_field_is_a_row_and_a_blank_line_is_not()
    {
        var list = SplunkImport.ReadLookup("dest_port,app\n\n80,\"\"\n\n", "allowed.csv");
        Assert.Equal(["dest_port=80 (imported from allowed.csv line 3)"], list.Select(e => e.ToString()));
    }
}
