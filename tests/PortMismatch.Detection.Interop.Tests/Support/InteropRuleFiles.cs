using System.Text;

namespace PortMismatch.Detection.Interop.Tests.Support;

/// <summary>
/// A rule file and an allow-list file written for the export tests: exemptions by source, destination and ports (IPv4 and
/// IPv6, single ports and ranges, port-only ones), rules per transport, the same app in several rules, apps in other ASCII
/// case, and upgrade-of relations (one naming an app whose own rule has a port-only exemption).
/// </summary>
internal static class InteropRuleFiles
{
    public const string CustomRules = """
        { "rules": [
          { "id": "c-dns", "name": "dns over udp", "apps": ["dns"], "ports": [53], "transport": "udp", "riskScore": 72, "techniques": ["T1571", "T1048.003"],
            "exemptions": [
              { "comment": "resolver on 5353", "source": "10.0.0.0/8", "ports": [5353] },
              { "comment": "lab net", "destination": "2001:db8::/32" },
              { "comment": "port only", "ports": ["6000-6010"] } ] },
          { "id": "c-dns-tcp", "name": "dns over tcp", "apps": ["DNS"], "ports": [53, 853], "transport": "tcp", "riskScore": 40 },
          { "id": "c-ssl", "name": "tls", "apps": ["ssl", "TLS"], "ports": [443, "8443-8445"], "upgradeOf": ["smtp", "imap", "HTTP"], "riskScore": 20,
            "exemptions": [ { "comment": "lab", "destination": "192.168.1.0/24", "ports": ["4000-4100"] } ] },
          { "id": "c-smtp", "name": "smtp", "apps": ["smtp"], "ports": [25, 587], "transport": "tcp", "riskScore": 90,
            "exemptions": [ { "comment": "port only", "ports": [2525] } ] },
          { "id": "c-imap", "name": "imap", "apps": ["imap"], "ports": [0, 143] },
          { "id": "c-http", "name": "http", "apps": ["http", "web-browsing"], "ports": [80, "8000-8080"], "transport": "other" },
          { "id": "c-krb", "name": "kerberos", "apps": ["krb"], "ports": [88], "upgradeOf": ["ssl", "ldap"] },
          { "id": "c-ldap", "name": "ldap", "apps": ["ldap"], "ports": [389], "exemptions": [ { "comment": "v6 clients", "source": "2001:db8::/32" } ] }
        ] }
        """;

    public const string CustomAllowList = """
        { "allow": [
          { "comment": "dns on 4444 is ours", "app": "DNS", "ports": [4444] },
          { "comment": "a tcp-only source", "source": "192.168.1.0/24", "transport": "tcp" },
          { "comment": "tls to the lab", "destination": "2001:db8::/32", "app": "ssl" },
          { "comment": "low udp ports", "ports": ["1-1000"], "transport": "udp" },
          { "comment": "other transports from 10/8", "source": "10.0.0.0/8", "transport": "other" },
          { "comment": "smtp without a port", "app": "Smtp", "ports": [0, 2] }
        ] }
        """;

    public static RuleSet Rules(string name) => name == "custom" ? RuleSetJson.Parse(Encoding.UTF8.GetBytes(CustomRules)) : RuleSets.Parse(name);

    public static AllowList AllowList(string name) => name switch
    {
        "none" => Detection.AllowList.Empty,
        "custom" => AllowListJson.Parse(Encoding.UTF8.GetBytes(CustomAllowList)),
        _ => AllowLists.Parse(name),
    };
}
