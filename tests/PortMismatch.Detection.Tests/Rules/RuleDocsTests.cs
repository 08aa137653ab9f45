using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Tests.Rules;

/// <summary>
/// docs/rules/ is generated from the rule sets: these tests fail when a page is out of date. Regenerate with
/// <c>PORTMISMATCH_UPDATE_DOCS=1 dotnet test --project tests/PortMismatch.Detection.Tests</c>.
/// </summary>
[Collection(RulePacksCollection.Name)]
public sealed class RuleDocsTests
{
    private const string Begin = "<!-- generated: begin (RuleDocsTests; do not edit between the markers) -->";
    private const string End = "<!-- generated: end -->";

    private static readonly (string App, Transport Transport, int Port, string Why)[] Differences =
    [
        ("dns", Transport.Udp, 53, "DNS on its port."),
        ("dns", Transport.Udp, 5353, "Zeek labels mDNS (RFC 6762) `dns`; extended expects 5353/udp for `dns`."),
        ("dns", Transport.Udp, 5355, "Zeek labels LLMNR (RFC 4795) `dns`; extended expects 5355 for `dns`."),
        ("dns", Transport.Udp, 137, "Zeek labels NetBIOS-NS (RFC 1002) `dns`; extended expects 137/udp for `dns`."),
        ("dns", Transport.Tcp, 5353, "Transport-aware: mDNS is UDP, so `dns` on 5353/tcp stays a mismatch."),
        ("dns", Transport.Unknown, 5353, "Unknown transport: every rule judges it, and the tcp rule does not expect 5353."),
        ("dns-base", Transport.Udp, 8053, "PAN-OS App-ID name: ESCU knows only `dns`."),
        ("http", Transport.Tcp, 3128, "Proxy port (Zeek's HTTP analyzer ports, Squid's default)."),
        ("web-browsing", Transport.Tcp, 8888, "Proxy / alternate port (Zeek's HTTP analyzer ports)."),
        ("http", Transport.Tcp, 8081, "Not a documented HTTP port: both flag."),
        ("http", Transport.Udp, 8081, "Transport-aware: extended's HTTP rule judges TCP only (HTTP/3 is QUIC)."),
        ("ssl", Transport.Tcp, 993, "Implicit TLS (IMAPS, RFC 8314)."),
        ("ssl", Transport.Tcp, 465, "Implicit TLS (SMTP submissions, RFC 8314)."),
        ("ssl", Transport.Tcp, 853, "DNS over TLS (RFC 7858)."),
        ("ssl", Transport.Tcp, 4444, "Not a documented TLS port: both flag."),
        ("ssl", Transport.Udp, 4444, "Transport-aware: extended's TLS rule judges TCP only (DTLS and QUIC are not TLS over TCP)."),
        ("tls", Transport.Tcp, 4444, "nDPI's name `TLS`: ESCU knows only `ssl`."),
        ("smtp", Transport.Tcp, 587, "Message submission (RFC 6409)."),
        ("smtp", Transport.Tcp, 2525, "Not a documented SMTP port: both flag."),
        ("ssh", Transport.Tcp, 2222, "A protocol ESCU has no rule for."),
        ("ms-rdp", Transport.Tcp, 443, "A protocol ESCU has no rule for (PAN-OS App-ID)."),
        ("quic", Transport.Udp, 443, "QUIC on its port."),
    ];

    public static TheoryData<string> Names() => [.. RuleSets.Names];

    [Theory]
    [MemberData(nameof(Names))]
    public void The_reference_page_of_each_built_in_set_is_up_to_date(string name)
        => Check(Path.Combine("docs", "rules", $"{name}.md"), _ => Reference(name, RuleSets.Get(name)));

    [Fact]
    public void The_escu_versus_extended_page_shows_the_verdicts_the_evaluators_give()
        => Check(Path.Combine("docs", "rules", "escu-vs-extended.md"), current =>
        {
            var begin = current.IndexOf(Begin, StringComparison.Ordinal);
            var end = current.IndexOf(End, StringComparison.Ordinal);
            Assert.True(begin >= 0 && end > begin, "the page needs the generated markers");
            return string.Concat(current.AsSpan(0, begin + Begin.Length), "\n", DifferenceTable(), current.AsSpan(end));
        });

    [Fact]
    public void The_difference_table_holds_cases_where_the_sets_agree_and_where_they_differ()
    {
        var escu = new MismatchEvaluator(RuleSet.Escu);
        var extended = new MismatchEvaluator(RuleSet.Extended);
        var verdicts = Differences.Select(d => (Escu: escu.TryMatch(Encoding.UTF8.GetBytes(d.App), d.Port, d.Transport, out _),
            Extended: extended.TryMatch(Encoding.UTF8.GetBytes(d.App), d.Port, d.Transport, out _))).ToList();

        Assert.Contains((true, false), verdicts);
        Assert.Contains((false, true), verdicts);
        Assert.Contains((true, true), verdicts);
        Assert.Contains((false, false), verdicts);
    }

    private static string Reference(string name, RuleSet set)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Rule set `{name}`\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Generated from the library by `RuleDocsTests`; do not edit. {set.Count} rules. Select it with `RuleSets.Get(\"{name}\")` or `--rules {name}`.\n");
        text.Append("A value is a mismatch when a rule lists its app (ignoring ASCII case), the rule's transport is the record's (or the rule has none, or the record's is unknown), and the destination port is not expected.\n\n");
        // The upgrade-of column only for sets that have the relation (escu and panos-appid pages stay as they were).
        var upgrades = set.Any(rule => !rule.UpgradeOf.IsEmpty);
        if (upgrades)
        {
            text.Append("A rule's *upgrade of / inside* apps excuse a value it would flag when another value of the same record is one of them and is expected on the port (TLS after STARTTLS on 25: Zeek's `smtp,ssl`; [escu-vs-extended.md](escu-vs-extended.md#protocol-upgrades-and-encapsulation)).\n\n");
        }

        text.Append(upgrades
            ? "| id | apps | transport | expected ports | risk | ATT&CK | upgrade of / inside | source |\n|---|---|---|---|---|---|---|---|\n"
            : "| id | apps | transport | expected ports | risk | ATT&CK | source |\n|---|---|---|---|---|---|---|\n");
        foreach (var rule in set)
        {
            var upgradeOf = !upgrades ? string.Empty : rule.UpgradeOf.IsEmpty ? " - |" : $" {string.Join(", ", rule.UpgradeOf.Select(a => $"`{a}`"))} |";
            text.Append(CultureInfo.InvariantCulture,
                $"| `{rule.Id}` | {string.Join(", ", rule.Apps.Select(a => $"`{a}`"))} | {rule.Transport?.ToName() ?? "any"} | {rule.ExpectedPorts} | {rule.RiskScore} | {string.Join(", ", rule.Techniques)} |{upgradeOf} {Cell(rule.Reference ?? rule.Description)} |\n");
        }

        return text.ToString();
    }

    private static string DifferenceTable()
    {
        var escu = new MismatchEvaluator(RuleSet.Escu);
        var extended = new MismatchEvaluator(RuleSet.Extended);
        var text = new StringBuilder("| app | transport | dest_port | escu | extended | why |\n|---|---|---|---|---|---|\n");
        foreach (var (app, transport, port, why) in Differences)
        {
            var utf8 = Encoding.UTF8.GetBytes(app);
            var byEscu = escu.TryMatch(utf8, port, transport, out var escuRule);
            var byExtended = extended.TryMatch(utf8, port, transport, out var extendedRule);
            text.Append(CultureInfo.InvariantCulture,
                $"| `{app}` | {transport.ToName()} | {port} | {Verdict(byEscu, RuleSet.Escu, escuRule)} | {Verdict(byExtended, RuleSet.Extended, extendedRule)} | {why} |\n");
        }

        return text.ToString();
    }

    private static string Verdict(bool mismatch, RuleSet set, int rule) => mismatch ? $"**flagged** (`{set[rule].Id}`)" : "-";

    private static string Cell(string? text) => (text ?? string.Empty).Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static void Check(string relativePath, Func<string, string> render)
    {
        var path = Repository.PathOf(relativePath);
        var current = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : string.Empty;
        var expected = render(current);
        if (Environment.GetEnvironmentVariable("PORTMISMATCH_UPDATE_DOCS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, expected);
            return;
        }

        Assert.True(expected == current, $"{relativePath} is out of date: run PORTMISMATCH_UPDATE_DOCS=1 dotnet test --project tests/PortMismatch.Detection.Tests");
    }
}
