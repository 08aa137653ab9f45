using System.Text;
using PortMismatch.Detection.Tests.Aggregation;

namespace PortMismatch.Detection.Tests.Evaluation;

/// <summary>
/// The upgrade-of relation (DetectionRule.UpgradeOf): TLS that a protocol negotiated on its own port, and Kerberos carried
/// inside LDAP, are no mismatch in <c>extended</c>; the original protocol off its port, or the value alone, still is;
/// <c>escu</c> stays literal.
/// </summary>
public sealed class UpgradeTests
{
    private static readonly MismatchEvaluator Extended = new(RuleSet.Extended);
    private static readonly MismatchEvaluator Escu = new(RuleSet.Escu);

    // Zeek's service values as its analyzers write them (issue #23, Zeek's own test logs).
    [Theory]
    [InlineData("smtp,ssl", 25)]
    [InlineData("smtp,ssl", 587)]
    [InlineData("imap,ssl", 143)]
    [InlineData("pop3,ssl", 110)]
    [InlineData("ftp,ssl", 21)]
    [InlineData("ftp,ssl,gridftp", 2811)]
    [InlineData("postgresql,ssl", 5432)]
    [InlineData("xmpp,ssl", 5222)]
    [InlineData("mysql,ssl", 3306)]
    [InlineData("ldap_tcp,ssl", 389)]
    [InlineData("http,ssl", 3128)]
    [InlineData("http,ssl", 80)]
    [InlineData("ldap_tcp,krb,gssapi", 389)]
    [InlineData("ssl,smtp", 25)] // the order of the values does not matter
    [InlineData("SMTP,SSL", 25)] // nor ASCII case
    public void An_upgrade_on_the_original_protocols_own_port_is_no_mismatch_in_extended(string service, int port)
    {
        var evaluation = Evaluate(Extended, service, port);

        Assert.False(evaluation.IsMismatch, $"{service} on {port}");
    }

    [Theory]
    [InlineData("smtp,ssl", 4444, "smtp,ssl")]       // the original protocol off its port: both values
    [InlineData("ssl", 25, "ssl")]                   // TLS alone on 25
    [InlineData("krb", 389, "krb")]                  // Kerberos alone on LDAP's port
    [InlineData("http,ssl", 4444, "http,ssl")]       // CONNECT to a port that is no proxy port
    [InlineData("ftp,ssl", 2121, "ftp,ssl")]
    [InlineData("dns,ssl", 53, "ssl")]               // dns is no protocol TLS upgrades from
    [InlineData("xmpp,ssl", 5223, "xmpp")]           // 5223 is XMPP's legacy implicit-TLS port: ssl is expected there, xmpp is not
    [InlineData("smtp,ssl,ssl", 2525, "smtp,ssl,ssl")]
    public void The_original_protocol_off_its_port_or_tls_alone_is_still_a_mismatch(string service, int port, string flagged)
    {
        var evaluation = Evaluate(Extended, service, port);

        Assert.Equal(flagged, Flagged(service, evaluation));
        Assert.Equal(flagged.Split(',').Length, evaluation.MismatchCount);
    }

    [Theory]
    [InlineData("smtp,ssl", 25, "ssl", "escu-ssl")]
    [InlineData("http,ssl", 3128, "http,ssl", "escu-http")]
    [InlineData("ldap_tcp,krb,gssapi", 389, "", null)]
    public void Escu_judges_every_value_alone(string service, int port, string flagged, string? firstRule)
    {
        var evaluation = Evaluate(Escu, service, port);

        Assert.Equal(flagged, Flagged(service, evaluation));
        Assert.Equal(firstRule, evaluation.FirstRuleIndex < 0 ? null : RuleSet.Escu[evaluation.FirstRuleIndex].Id);
    }

    [Fact]
    public void Combined_with_escu_the_escu_rule_still_flags_tls_after_starttls()
    {
        var combined = new MismatchEvaluator(RuleSets.Parse("extended,escu"));
        var evaluation = Evaluate(combined, "smtp,ssl", 25);

        Assert.Equal("ssl", Flagged("smtp,ssl", evaluation));
        Assert.Equal("escu-ssl", combined.Rules[evaluation.FirstRuleIndex].Id);
    }

    [Fact]
    public void The_aggregator_gives_no_row_for_an_upgrade_and_rows_for_both_values_off_the_port()
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Extended, sink);
        Add(aggregator, "smtp,ssl", 25);
        Add(aggregator, "ldap_tcp,krb,gssapi", 389);
        Add(aggregator, "smtp,ssl", 4444);
        aggregator.Complete();

        Assert.Equal(["smtp 4444 ext-smtp", "ssl 4444 ext-tls"], sink.Rows.Select(r => $"{r.App} {r.DestinationPort} {r.Rule?.Id}").Order().ToArray());
    }

    [Fact]
    public void With_all_values_grouped_only_records_with_an_unexcused_value_are_selected()
    {
        var sink = new ListSink();
        var aggregator = new MismatchAggregator(Extended, sink, AggregatorOptions.Default with { Grouping = AppGrouping.AllValues });
        Add(aggregator, "smtp,ssl", 25);        // nothing selected
        Add(aggregator, "ldap_tcp,krb,ssl", 3389); // every value off its port: all flagged
        Add(aggregator, "ssl,krb,ldap_tcp", 389);  // nothing selected
        Add(aggregator, "ssl,krb", 389);        // both flagged: no ldap value excuses them
        aggregator.Complete();

        Assert.Equal(
            ["krb 3389 ext-kerberos", "krb 389 ext-kerberos", "ldap_tcp 3389 ext-ldap-tcp", "ssl 3389 ext-tls", "ssl 389 ext-tls"],
            sink.Rows.Select(r => $"{r.App} {r.DestinationPort} {r.Rule?.Id ?? "-"}").Order().ToArray());
    }

    [Fact]
    public void A_users_own_rule_can_say_the_relation_in_code_and_in_json()
    {
        var json = """
            { "rules": [
              { "id": "nntp", "name": "NNTP off 119", "apps": ["nntp"], "ports": [119], "transport": "tcp" },
              { "id": "tls", "name": "TLS off 443", "apps": ["ssl"], "ports": [443], "transport": "tcp", "upgradeOf": ["NNTP"] }
            ] }
            """u8;
        var rules = RuleSetJson.Parse(json);
        var evaluator = new MismatchEvaluator(rules);

        Assert.Equal(["NNTP"], rules.Find("tls")!.UpgradeOf);
        Assert.False(Evaluate(evaluator, "nntp,ssl", 119).IsMismatch);
        Assert.Equal("ssl", Flagged("smtp,ssl", Evaluate(evaluator, "smtp,ssl", 25)));
        Assert.Equal(RuleSetJson.ToJson(rules), RuleSetJson.ToJson(RuleSetJson.Parse(Encoding.UTF8.GetBytes(RuleSetJson.ToJson(rules)))));
        Assert.Contains("\"upgradeOf\": [", RuleSetJson.ToJson(rules), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[\"\"]", "is blank")]
    [InlineData("[\"smtp\", \"SMTP\"]", "repeats \"SMTP\"")]
    [InlineData("[\"SSL\"]", "one of the rule's own apps")]
    [InlineData("\"smtp\"", "an array of strings")]
    public void A_bad_upgrade_of_list_is_refused_with_its_position(string value, string message)
    {
        var json = Encoding.UTF8.GetBytes($$"""{ "rules": [ { "id": "tls", "name": "TLS", "apps": ["ssl"], "ports": [443], "upgradeOf": {{value}} } ] }""");

        var error = Assert.Throws<ConfigurationFormatException>(() => RuleSetJson.Parse(json));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("$.rules[0].upgradeOf", error.JsonPath, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_in_code_cannot_name_its_own_app_or_a_blank_one()
    {
        Assert.Throws<ArgumentException>(() => new DetectionRule("t", "t", ["ssl"], PortSet.Parse("443")) { UpgradeOf = ["Ssl"] });
        Assert.Throws<ArgumentException>(() => new DetectionRule("t", "t", ["ssl"], PortSet.Parse("443")) { UpgradeOf = [" "] });
    }

    [Fact]
    public void Evaluating_multi_valued_upgrades_allocates_nothing()
    {
        var apps = Encoding.UTF8.GetBytes("ldap_tcp,krb,gssapi");
        var record = new FlowRecord { DestinationPort = 389, Transport = Transport.Tcp, Apps = AppValues.Split(apps, (byte)',') };
        var mismatches = 0;
        for (var i = 0; i < 1000; i++)
        {
            mismatches += Extended.Evaluate(record).MismatchCount + (Extended.IsMismatch(record) ? 1 : 0);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++)
        {
            mismatches += Extended.Evaluate(record).MismatchCount + (Extended.IsMismatch(record) ? 1 : 0);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, mismatches);
    }

    internal static MismatchEvaluation Evaluate(MismatchEvaluator evaluator, string service, int port, Transport transport = Transport.Tcp)
    {
        var record = new FlowRecord
        {
            DestinationPort = (ushort)port,
            Transport = transport,
            Apps = AppValues.Split(Encoding.UTF8.GetBytes(service), (byte)','),
        };
        var evaluation = evaluator.Evaluate(record);
        Assert.Equal(evaluation.IsMismatch, evaluator.IsMismatch(record));
        return evaluation;
    }

    private static string Flagged(string service, MismatchEvaluation evaluation)
        => string.Join(",", service.Split(',').Where((_, i) => (evaluation.MismatchMask & (1UL << i)) != 0));

    private static void Add(MismatchAggregator aggregator, string service, int port)
    {
        var bytes = Encoding.UTF8.GetBytes(service);
        aggregator.Add(new FlowRecord
        {
            SourceAddress = IPAddressValue.Parse("10.0.0.1"),
            DestinationAddress = IPAddressValue.Parse("192.0.2.1"),
            DestinationPort = (ushort)port,
            Transport = Transport.Tcp,
            Apps = AppValues.Split(bytes, (byte)','),
        });
    }
}
