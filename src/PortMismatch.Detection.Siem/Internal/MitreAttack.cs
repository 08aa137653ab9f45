using System.Collections.Frozen;

namespace PortMismatch.Detection.Siem.Internal;

/// <summary>
/// The names and tactics of the MITRE ATT&amp;CK Enterprise techniques the built-in rule sets name (a test keeps the table
/// complete), so that a finding carries names a SIEM can show; an id not in the table is still reported, by its id alone.
/// </summary>
internal static class MitreAttack
{
    private static readonly FrozenDictionary<string, Technique> Known = new Dictionary<string, Technique>(StringComparer.Ordinal)
    {
        ["T1021"] = new("Remote Services", "TA0008", "Lateral Movement"),
        ["T1021.001"] = new("Remote Desktop Protocol", "TA0008", "Lateral Movement"),
        ["T1021.002"] = new("SMB/Windows Admin Shares", "TA0008", "Lateral Movement"),
        ["T1021.004"] = new("SSH", "TA0008", "Lateral Movement"),
        ["T1048"] = new("Exfiltration Over Alternative Protocol", "TA0010", "Exfiltration"),
        ["T1048.002"] = new("Exfiltration Over Asymmetric Encrypted Non-C2 Protocol", "TA0010", "Exfiltration"),
        ["T1048.003"] = new("Exfiltration Over Unencrypted Non-C2 Protocol", "TA0010", "Exfiltration"),
        ["T1071"] = new("Application Layer Protocol", "TA0011", "Command and Control"),
        ["T1071.001"] = new("Web Protocols", "TA0011", "Command and Control"),
        ["T1071.002"] = new("File Transfer Protocols", "TA0011", "Command and Control"),
        ["T1071.003"] = new("Mail Protocols", "TA0011", "Command and Control"),
        ["T1071.004"] = new("DNS", "TA0011", "Command and Control"),
        ["T1087"] = new("Account Discovery", "TA0007", "Discovery"),
        ["T1087.002"] = new("Domain Account", "TA0007", "Discovery"),
        ["T1558"] = new("Steal or Forge Kerberos Tickets", "TA0006", "Credential Access"),
        ["T1571"] = new("Non-Standard Port", "TA0011", "Command and Control"),
        ["T1572"] = new("Protocol Tunneling", "TA0011", "Command and Control"),
        ["T1573"] = new("Encrypted Channel", "TA0011", "Command and Control"),
        ["T1573.002"] = new("Asymmetric Cryptography", "TA0011", "Command and Control"),
        ["T1602"] = new("Data from Configuration Repository", "TA0009", "Collection"),
        ["T1602.001"] = new("SNMP (MIB Dump)", "TA0009", "Collection"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Gets the technique ids of the table.</summary>
    public static IEnumerable<string> KnownIds => Known.Keys;

    /// <summary>Looks a technique or sub-technique id up.</summary>
    public static bool TryGet(string id, out Technique technique) => Known.TryGetValue(id, out technique!);

    /// <summary>
    /// Splits a sub-technique id (<c>T1048.003</c>, ATLAS <c>AML.T0011.000</c>: a technique id, a dot and three digits) into
    /// its parent technique's id; false for a technique id or an id of another shape.
    /// </summary>
    public static bool TryGetParent(string id, out string parent)
    {
        var dot = id.LastIndexOf('.');
        if (dot > 1 && id.Length - dot == 4 && IsDigits(id.AsSpan(dot + 1)) && id[dot - 1] is >= '0' and <= '9')
        {
            parent = id[..dot];
            return true;
        }

        parent = string.Empty;
        return false;

        static bool IsDigits(ReadOnlySpan<char> text)
        {
            foreach (var c in text)
            {
                if (c is < '0' or > '9')
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>A technique's name and its tactic (each technique the rules name has one tactic in ATT&amp;CK Enterprise).</summary>
    internal sealed record Technique(string Name, string TacticId, string TacticName);
}
