using System.Text;
using PortMismatch.Detection.Interop.Tests.Spl;

namespace PortMismatch.Detection.Interop.Tests.Splunk;

public sealed class SplunkMacroImportTests
{
    public static TheoryData<string> AllowLists => ["", "benign", "custom"];

    [Theory]
    [MemberData(nameof(AllowLists))]
    public void An_exported_filter_macro_imports_as_the_same_allow_list(string name)
    {
        var original = SplEquivalenceTests.Allow(name);
        var export = RuleExport.Export(RuleExportFormat.Spl, RuleSet.Escu, original);

        var imported = SplunkImport.ReadFilterMacro(export.Text, "export.spl");

        AssertSameEntries(original, imported);
    }

    [Fact]
    public void Entries_with_every_condition_and_hostile_apps_survive_the_round_trip_and_save_as_json()
    {
        var original = new AllowList(
        [
            new AllowListEntry("quotes") { App = "a\" OR app=\"b", DestinationPorts = PortSet.Parse("1,3-5,65535") },
            new AllowListEntry("backslash") { App = "c:\\x5cwindows\\x5c", Transport = Transport.Tcp },
            new AllowListEntry("others") { App = "x) OR (y", Transport = Transport.Other, SourceNetwork = IPNetworkValue.Parse("10.1.0.0/16") },
            new AllowListEntry("v6") { DestinationNetwork = IPNetworkValue.Parse("2001:db8::/32"), DestinationPorts = PortSet.Parse("0-1023") },
            new AllowListEntry("many ports") { App = "OR", DestinationPorts = PortSet.Parse("1,2,3,4,5,6,100-200") },
        ]);
        var export = RuleExport.Export(RuleExportFormat.Spl, RuleSet.Escu, original);

        var imported = SplunkImport.ReadFilterMacro(export.Text, "export.spl");
        AssertSameEntries(original, imported);

        var saved = AllowListJson.Parse(Encoding.UTF8.GetBytes(AllowListJson.ToJson(imported)));
        AssertSameEntries(original, saved);
    }

    [Fact]
    public void The_forms_Splunk_users_write_are_read()
    {
        const string Conf = "[some_other_macro]\r\ndefinition = search index=main\r\n\r\n"
            + "# our false positives\r\n"
            + "[protocol_or_port_mismatch_filter]\r\n"
            + "iseval = 0\r\n"
            + "definition = | search NOT (app=dns AND dest_port IN (5353, 5355)) \\\r\n"
            + "   NOT ((app=\"ssl\" dest=17.0.0.0/8 dest_port=5223) OR (src=10.20.0.0/16)) \\\r\n"
            + "   AND NOT (dest_port>1024 dest_port<2000 transport=UDP) \\\r\n"
            + "   NOT (app=http (dest_port=631 OR dest_port==8631))\r\n"
            + "description = the team's list\r\n"
            + "[another]\r\ndefinition = search *\r\n";

        var list = SplunkImport.ReadFilterMacro(Conf, "macros.conf");

        Assert.Equal(
            [
                "app=dns dest_port=5353, 5355 (imported from macros.conf line 7)",
                "app=ssl dest_port=5223 dest=17.0.0.0/8 (imported from macros.conf line 8)",
                "src=10.20.0.0/16 (imported from macros.conf line 8)",
                "dest_port=1025-1999 transport=udp (imported from macros.conf line 9)",
                "app=http dest_port=631, 8631 (imported from macros.conf line 10)",
            ],
            list.Select(e => e.ToString()));
    }

    [Fact]
    public void ESCUs_empty_filter_is_an_empty_allow_list()
    {
        Assert.Empty(SplunkImport.ReadFilterMacro("[protocol_or_port_mismatch_filter]\ndefinition = search *\n", "macros.conf"));
    }

    [Theory]
    [InlineData("[other]\ndefinition = search *\n", 1, 0, "no [protocol_or_port_mismatch_filter] stanza")]
    [InlineData("[protocol_or_port_mismatch_filter]\niseval = 0\n", 1, 0, "has no definition")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = search NOT (app=dns) \\\n    NOT (app!=ssl)\n", 3, 13, "!= and bare words are not read")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = search NOT (app=\"dns)\n", 2, 30, "no closing quote")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = search NOT (app=dn*)\n", 2, 26, "wildcard pattern")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = search NOT (user=bob)\n", 2, 26, "expected app=, dest_port=")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = where app!=\"dns\"\n", 2, 14, "expected the search command")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = search app=dns\n", 2, 21, "expected NOT (...)")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = search NOT (app=dns dest_port=70000)\n", 2, 34, "is not a port")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = search NOT (app=dns app=ssl)\n", 2, 34, "sets app twice")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = search NOT (dest_port=5 dest_port=6)\n", 2, 26, "exclude every port")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = search NOT (app=dns\n", 2, 33, "expected ) to close")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = search NOT (src_ip=10.0.0.0/33)\n", 2, 26, "not an address or a CIDR")]
    [InlineData("[protocol_or_port_mismatch_filter]\ndefinition = search NOT (transport=icmp)\n", 2, 26, "not tcp, udp or other")]
    [InlineData("[protocol_or_port_mismatch_filter]\nsearch NOT (app=dns)\n", 2, 1, "expected a setting")]
    public void A_definition_the_import_cannot_read_is_an_error_with_its_line_and_column(string conf, int line, int column, string reason)
    {
        var error = Assert.Throws<RuleImportException>(() => SplunkImport.ReadFilterMacro(conf, "macros.conf"));
        Assert.Equal("macros.conf", error.SourceName);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void Deep_nesting_is_an_error_not_a_stack_overflow()
    {
        var conf = "[protocol_or_port_mismatch_filter]\ndefinition = search NOT " + new string('(', 100_000) + "app=dns" + new string(')', 100_000) + "\n";
        var error = Assert.Throws<RuleImportException>(() => SplunkImport.ReadFilterMacro(conf, "macros.conf"));
        Assert.Contains("nests deeper than 64", error.Reason, StringComparison.Ordinal);
        Assert.Equal((2, 88), (error.Line, error.Column));
    }

    internal static void AssertSameEntries(AllowList expected, AllowList actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Comment, actual[i].Comment);
            Assert.Equal(expected[i].App, actual[i].App);
            Assert.Equal(expected[i].DestinationPorts, actual[i].DestinationPorts);
            Assert.Equal(expected[i].SourceNetwork, actual[i].SourceNetwork);
            Assert.Equal(expected[i].DestinationNetwork, actual[i].DestinationNetwork);
            Assert.Equal(expected[i].Transport, actual[i].Transport);
        }
    }
}
