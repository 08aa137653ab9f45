using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace PortMismatch.Detection.Tests.Rules;

[Collection(RulePacksCollection.Name)]
public sealed class ExtendedRulesTests
{
    private static readonly MismatchEvaluator Escu = new(RuleSet.Escu);
    private static readonly MismatchEvaluator Extended = new(RuleSet.Extended);

    public static TheoryData<string, int, Transport, bool> Verdicts() => new()
    {
        // DNS: Zeek's "dns" on mDNS, LLMNR and NetBIOS-NS ports is expected on udp; transport matters.
        { "dns", 53, Transport.Udp, false }, { "DNS", 5353, Transport.Udp, false }, { "dns", 5355, Transport.Udp, false },
        { "dns", 137, Transport.Udp, false }, { "dns", 5353, Transport.Tcp, true }, { "dns", 8053, Transport.Udp, true },
        { "dns-base", 443, Transport.Tcp, true }, { "dns", 0, Transport.Udp, true }, { "mdns", 5353, Transport.Udp, false },
        { "mdns", 53, Transport.Udp, true }, { "llmnr", 5355, Transport.Tcp, false }, { "netbios-ns", 138, Transport.Udp, true },
        { "dns-over-tls", 853, Transport.Tcp, false }, { "dns-over-tls", 443, Transport.Tcp, true },

        // Web and TLS: proxies and implicit-TLS ports are documented expected ports.
        { "http", 3128, Transport.Tcp, false }, { "web-browsing", 8888, Transport.Tcp, false }, { "HTTP", 8008, Transport.Tcp, false },
        { "http", 8081, Transport.Tcp, true }, { "http_proxy", 1080, Transport.Tcp, false }, { "ssl", 993, Transport.Tcp, false },
        { "TLS", 465, Transport.Tcp, false }, { "ssl", 990, Transport.Tcp, false }, { "ssl", 4444, Transport.Tcp, true },
        { "tls", 22, Transport.Tcp, true }, { "quic", 443, Transport.Udp, false }, { "quic", 8443, Transport.Udp, true },

        // Mail, remote access, infrastructure, databases.
        { "smtp", 587, Transport.Tcp, false }, { "smtp-base", 2525, Transport.Tcp, true }, { "imap", 993, Transport.Tcp, false },
        { "pop3", 143, Transport.Tcp, true }, { "ssh", 22, Transport.Tcp, false }, { "SSH", 2222, Transport.Tcp, true },
        { "ms-rdp", 3389, Transport.Udp, false }, { "rdp", 443, Transport.Tcp, true }, { "telnet", 2323, Transport.Tcp, true },
        { "ftp", 21, Transport.Tcp, false }, { "FTP_CONTROL", 2121, Transport.Tcp, true }, { "smb", 139, Transport.Tcp, false },
        { "SMBv23", 4445, Transport.Tcp, true }, { "ntp", 123, Transport.Udp, false }, { "ntp", 53, Transport.Udp, true },
        { "snmp", 162, Transport.Udp, false }, { "snmp", 1161, Transport.Udp, true }, { "ldap_tcp", 3268, Transport.Tcp, false },
        { "ldap_udp", 636, Transport.Udp, true }, { "krb", 88, Transport.Udp, false }, { "krb_tcp", 464, Transport.Tcp, false },
        { "kerberos", 750, Transport.Udp, true }, { "sip", 5061, Transport.Tcp, false }, { "sip", 5061, Transport.Udp, true },
        { "irc", 6667, Transport.Tcp, false }, { "irc", 8080, Transport.Tcp, true }, { "mysql", 3306, Transport.Tcp, false },
        { "postgres", 5433, Transport.Tcp, true }, { "MsSQL-TDS", 1433, Transport.Tcp, false }, { "mssql-db", 1434, Transport.Tcp, true },

        // Transport-aware: a rule limited to tcp does not judge udp; an unknown transport is judged by every rule.
        { "ssh", 2222, Transport.Udp, false }, { "ssh", 2222, Transport.Unknown, true }, { "dns", 5353, Transport.Unknown, true },
        { "incomplete", 4444, Transport.Tcp, false },
    };

    [Theory]
    [MemberData(nameof(Verdicts))]
    public void Extended_gives_the_documented_verdicts(string app, int port, Transport transport, bool mismatch)
        => Assert.Equal(mismatch, Extended.TryMatch(Encoding.UTF8.GetBytes(app), port, transport, out _));

    [Fact]
    public void Every_rule_documents_its_source_risk_and_techniques_and_has_a_unique_stable_id()
    {
        Assert.True(RuleSet.Extended.Count >= 25);
        foreach (var rule in RuleSet.Extended)
        {
            Assert.StartsWith("ext-", rule.Id, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(rule.Reference), rule.Id);
            Assert.InRange(rule.RiskScore, 1, 100);
            Assert.Contains("T1571", rule.Techniques);
            Assert.All(rule.Techniques, t => Assert.Matches(@"^T\d{4}(\.\d{3})?$", t));
        }
    }

    [Fact]
    public void The_issue_protocols_each_have_a_rule()
    {
        string[] protocols =
        [
            "dns", "mdns", "llmnr", "netbios-ns", "dns-over-tls", "http", "ssl", "smtp", "ssh", "rdp", "ftp", "smb", "quic", "ntp",
            "snmp", "ldap", "krb", "imap", "pop3", "sip", "mysql", "postgresql", "mssql-db", "telnet", "irc",
        ];
        foreach (var app in protocols)
        {
            Assert.Contains(RuleSet.Extended, rule => rule.Apps.Contains(app, StringComparer.OrdinalIgnoreCase));
        }
    }

    [Theory]
    [InlineData("ssl", "443, 465, 636, 853, 989, 990, 991, 992, 993, 994, 995, 5223")]
    [InlineData("http", "80, 3128, 8008, 8888")]
    [InlineData("smtp", "25, 465, 587")]
    [InlineData("snmp", "161, 162")]
    [InlineData("sip", "5060, 5061")]
    public void The_issue_ports_are_expected(string app, string ports)
    {
        var evaluator = new MismatchEvaluator(RuleSet.Extended);
        foreach (var range in PortSet.Parse(ports).Ranges)
        {
            for (int port = range.First; port <= range.Last; port++)
            {
                var transport = RuleSet.Extended.First(r => r.Apps.Contains(app) && r.ExpectedPorts.Contains(port)).Transport ?? Transport.Tcp;
                Assert.False(evaluator.TryMatch(Encoding.UTF8.GetBytes(app), port, transport, out _), $"{app} on {port}/{transport}");
            }
        }
    }

    [Fact]
    public void Every_expected_port_of_every_escu_rule_is_expected_by_extended_on_each_transport_extended_judges()
    {
        foreach (var escu in RuleSet.Escu)
        {
            foreach (var app in escu.Apps)
            {
                var claiming = RuleSet.Extended.Where(r => r.Apps.Contains(app, StringComparer.OrdinalIgnoreCase)).ToList();
                Assert.NotEmpty(claiming);
                Assert.All(claiming, rule => Assert.All(escu.ExpectedPorts.Ranges, range => Assert.True(
                    rule.ExpectedPorts.Contains(range.First) && rule.ExpectedPorts.Contains(range.Last), $"{rule.Id} misses {range}")));
            }
        }
    }

    /// <summary>
    /// Issue 8's acceptance: restricted to the ESCU protocols (their app names in any case), <c>extended</c> never flags a
    /// record that ESCU does not flag on the same transport. The docs list no exception because there is none.
    /// </summary>
    [Property(MaxTest = 20_000, Replay = Generators.Replay)]
    public Property Extended_on_the_escu_protocols_flags_only_what_escu_flags() => Prop.ForAll(
        Arb.From(
            from count in Gen.Choose(1, 3)
            from apps in Gen.ArrayOf(Gen.Elements(Generators.RuleNames).SelectMany(Generators.RandomCase), count)
            from port in Generators.Port()
            from transport in Gen.Elements(Transport.Unknown, Transport.Tcp, Transport.Udp, Transport.Other)
            select new TestRecord(apps, port, transport)),
        record =>
        {
            var extended = record.Use((in FlowRecord r) => Extended.IsMismatch(r));
            var escu = record.Use((in FlowRecord r) => Escu.IsMismatch(r));
            return (!extended || escu).Label($"{record}: extended {extended}, escu {escu}");
        });

    [Property(MaxTest = 5_000, Replay = Generators.Replay)]
    public Property Every_value_extended_flags_breaks_a_rule_that_claims_it_on_that_transport() => Prop.ForAll(
        Arb.From(
            from rule in Gen.Elements(RuleSet.Extended.Rules.ToArray())
            from app in Gen.Elements(rule.Apps.ToArray()).SelectMany(Generators.RandomCase)
            from port in Gen.Frequency((1, Gen.Choose(0, 65535)), (1, Gen.Elements(rule.ExpectedPorts.Select(r => (int)r.First).ToArray())))
            from transport in Gen.Elements(Transport.Unknown, Transport.Tcp, Transport.Udp, Transport.Other)
            select (app, port, transport)),
        input =>
        {
            var (app, port, transport) = input;
            var flagged = Extended.TryMatch(Encoding.UTF8.GetBytes(app), port, transport, out var index);
            var expected = RuleSet.Extended.Any(r => r.Apps.Contains(app, StringComparer.OrdinalIgnoreCase)
                && (r.Transport is null || transport == Transport.Unknown || r.Transport == transport) && !r.ExpectedPorts.Contains(port));
            var claimed = !flagged || (RuleSet.Extended[index].Apps.Contains(app, StringComparer.OrdinalIgnoreCase) && !RuleSet.Extended[index].ExpectedPorts.Contains(port));
            return (flagged == expected && claimed).Label($"{app} {port}/{transport}: flagged {flagged}, expected {expected}");
        });
}
