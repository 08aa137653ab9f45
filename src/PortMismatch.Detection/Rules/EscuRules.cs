using System.Collections.Immutable;

namespace PortMismatch.Detection;

/// <summary>Section 1 of the detection contract: the four parenthesised clauses of the ESCU search, one rule each.</summary>
internal static class EscuRules
{
    private const string Source = "Splunk ESCU 'Protocol or Port Mismatch' (54dc1265-2f74-4b6d-b30d-49eb506a31b3)";

    private static readonly ImmutableArray<string> Techniques = ["T1048.003", "T1048", "T1571"];

    public static RuleSet Create() => new(
    [
        Rule("escu-dns", "DNS on a port other than 53", ["dns"], PortSet.Of(53)),
        Rule("escu-http", "HTTP on a port other than 80, 8080 or 8000", ["web-browsing", "http"], PortSet.Of(80, 8080, 8000)),
        Rule("escu-ssl", "SSL/TLS on a port other than 443 or 8443", ["ssl"], PortSet.Of(443, 8443)),
        Rule("escu-smtp", "SMTP on a port other than 25", ["smtp"], PortSet.Of(25)),
    ]);

    private static DetectionRule Rule(string id, string name, string[] apps, PortSet ports) => new(id, name, apps, ports)
    {
        Description = $"{Source}: the application protocol does not match the destination port, a sign of firewall evasion, tunnelling or exfiltration.",
        RiskScore = 25,
        Techniques = Techniques,
    };
}
