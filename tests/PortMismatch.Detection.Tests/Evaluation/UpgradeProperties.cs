using System.Text;

namespace PortMismatch.Detection.Tests.Evaluation;

/// <summary>
/// Random multi-valued records against a reference of the upgrade-of relation written here from its definition, over the
/// rule objects (no bitmaps, no name tables); and escu, which has no relation, against the literal per-value check.
/// </summary>
public sealed class UpgradeProperties
{
    private static readonly string[] AppPool =
        ["ssl", "SSL", "tls", "smtp", "Smtp", "imap", "pop3", "ftp", "xmpp", "ldap_tcp", "krb", "gssapi", "http", "mysql", "dns", "rdp", "nntp", "other"];

    private static readonly int[] PortPool = [0, 21, 25, 53, 80, 88, 110, 119, 143, 389, 443, 465, 587, 993, 2811, 3128, 3306, 3389, 4444, 5222, 5432];

    private static readonly Transport[] Transports = [Transport.Tcp, Transport.Udp, Transport.Unknown, Transport.Other];

    // Two rules claim ssl with different relations, one rule claims smtp per transport: the reference must pick the first
    // rule that is broken and not excused, and "expected" must hold for every rule claiming the excusing value.
    private static readonly RuleSet Custom = new(
    [
        new DetectionRule("a", "ssl a", ["ssl"], PortSet.Parse("443")) { Transport = Transport.Tcp, UpgradeOf = ["smtp"] },
        new DetectionRule("b", "ssl b", ["ssl", "tls"], PortSet.Parse("443, 993")) { UpgradeOf = ["imap", "nntp"] },
        new DetectionRule("smtp-tcp", "smtp", ["smtp"], PortSet.Parse("25, 587")) { Transport = Transport.Tcp },
        new DetectionRule("smtp-any", "smtp", ["smtp"], PortSet.Parse("25")),
        new DetectionRule("imap", "imap", ["imap"], PortSet.Parse("143")) { Transport = Transport.Tcp },
        new DetectionRule("krb", "krb", ["krb"], PortSet.Parse("88")) { UpgradeOf = ["ldap_tcp", "ssl"] },
        new DetectionRule("ldap", "ldap", ["ldap_tcp"], PortSet.Parse("389")),
    ]);

    public static TheoryData<string> Sets() => ["escu", "extended", "extended,escu", "custom"];

    [Theory]
    [MemberData(nameof(Sets))]
    public void Evaluate_and_IsMismatch_equal_the_reference_on_random_multi_valued_records(string name)
    {
        const int seed = 2311;
        var random = TestSeed.Random(seed);
        var rules = name == "custom" ? Custom : RuleSets.Parse(name);
        var evaluator = new MismatchEvaluator(rules);
        for (var n = 0; n < 20_000; n++)
        {
            var apps = Enumerable.Range(0, random.Next(1, 6)).Select(_ => AppPool[random.Next(AppPool.Length)]).ToArray();
            var port = PortPool[random.Next(PortPool.Length)];
            var transport = Transports[random.Next(Transports.Length)];
            var bytes = Encoding.UTF8.GetBytes(string.Join(',', apps));
            var record = new FlowRecord { DestinationPort = (ushort)port, Transport = transport, Apps = AppValues.Split(bytes, (byte)',') };

            var evaluation = evaluator.Evaluate(record);
            var expected = Reference(rules, apps, port, transport);
            var what = $"seed {seed}, record {n}: {string.Join(',', apps)} on {port} {transport}";
            Assert.True(expected.Mask == evaluation.MismatchMask, $"{what}: mask {evaluation.MismatchMask}, reference {expected.Mask}");
            Assert.True(expected.FirstRule == evaluation.FirstRuleIndex, $"{what}: rule {evaluation.FirstRuleIndex}, reference {expected.FirstRule}");
            Assert.True(expected.Mask != 0 == evaluator.IsMismatch(record), $"{what}: IsMismatch");

            if (name == "escu")
            {
                // escu has no relation: each value's verdict is the literal one of the value alone.
                var literal = 0UL;
                for (var i = 0; i < apps.Length; i++)
                {
                    literal |= evaluator.TryMatch(Encoding.UTF8.GetBytes(apps[i]), port, transport, out _) ? 1UL << i : 0;
                }

                Assert.True(literal == evaluation.MismatchMask, $"{what}: escu is not literal");
            }
        }
    }

    // From the definition: a value breaks a rule that claims it (ASCII case ignored), judges the transport and does not
    // expect the port; the rule is excused when another value of the record is in its UpgradeOf and is expected on the
    // port (some rule claims it for the transport and none of those flags the port). First unexcused rule in rule order.
    private static (ulong Mask, int FirstRule) Reference(RuleSet rules, string[] apps, int port, Transport transport)
    {
        ulong mask = 0;
        var firstRule = -1;
        for (var i = 0; i < apps.Length; i++)
        {
            for (var r = 0; r < rules.Count; r++)
            {
                var rule = rules[r];
                if (!Claims(rule, apps[i]) || !Judges(rule, transport) || rule.ExpectedPorts.Contains(port))
                {
                    continue;
                }

                var excused = false;
                for (var j = 0; j < apps.Length; j++)
                {
                    excused |= j != i && rule.UpgradeOf.Any(u => string.Equals(u, apps[j], StringComparison.OrdinalIgnoreCase)) && Expected(rules, apps[j], port, transport);
                }

                if (!excused)
                {
                    if (mask == 0)
                    {
                        firstRule = r;
                    }

                    mask |= 1UL << i;
                    break;
                }
            }
        }

        return (mask, firstRule);
    }

    private static bool Expected(RuleSet rules, string app, int port, Transport transport)
    {
        var claimed = rules.Where(rule => Claims(rule, app) && Judges(rule, transport)).ToList();
        return claimed.Count > 0 && claimed.All(rule => rule.ExpectedPorts.Contains(port));
    }

    private static bool Claims(DetectionRule rule, string app) => rule.Apps.Any(a => string.Equals(a, app, StringComparison.OrdinalIgnoreCase));

    private static bool Judges(DetectionRule rule, Transport transport)
        => rule.Transport is null || transport == Transport.Unknown || rule.Transport == transport;
}
