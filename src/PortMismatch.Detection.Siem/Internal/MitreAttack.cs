using System.Collections.Frozen;

namespace PortMismatch.Detection.Siem.Internal;

/// <summary>
/// The names and tactics of the MITRE ATT&amp;CK Enterprise techniques the built-in rule sets name (a test keeps the table
/// complete), so that a finding carries names a SIEM can show (the OCSF and the ECS writer both read it); an id not in the
/// table is still reported, by its id alone.
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

    /// <summary>Gets the name of a technique or sub-technique id, or <see langword="null"/> when it has no entry.</summary>
    public static string? NameOf(string id) => Known.TryGetValue(id, out var technique) ? technique.Name : null;

    /// <summary>
    /// Whether an id has the form of an ATT&amp;CK technique (<c>T1571</c>) or sub-technique (<c>T1048.003</c>); only such an
    /// id gets a reference URL and is split into technique and sub-technique.
    /// </summary>
    public static bool IsAttackId(string id)
        => id.Length is 5 or 9
            && id[0] == 'T'
            && AllDigits(id.AsSpan(1, 4))
            && (id.Length == 5 || (id[5] == '.' && AllDigits(id.AsSpan(6, 3))));

    /// <summary>The technique of an ATT&amp;CK id: <c>T1048</c> for <c>T1048.003</c>, the id itself for a technique.</summary>
    public static string TechniqueOf(string attackId) => attackId[..5];

    /// <summary>
    /// The id's page on attack.mitre.org, in the form ECS's own example gives (<c>https://attack.mitre.org/techniques/T1059/</c>,
    /// a sub-technique as <c>.../T1059/001/</c>).
    /// </summary>
    public static string ReferenceOf(string attackId) => attackId.Length == 5
        ? $"https://attack.mitre.org/techniques/{attackId}/"
        : $"https://attack.mitre.org/techniques/{attackId[..5]}/{attackId[6..]}/";

    /// <summary>Looks a technique or sub-technique id up.</summary>
    public static bool TryGet(string id, out Technique technique) => Known.TryGetValue(id, out technique!);

    /// <summary>
    /// Splits a sub-technique id (<c>T1048.003</c>, ATLAS <c>AML.T0011.000</c>: a technique id, a dot and three digits) into
    /// its parent technique's id; false for a technique id or an id of another shape.
    /// </summary>
    public static bool TryGetParent(string id, out string parent)
    {
        var dot = id.LastIndexOf('.');
        if (dot > 1 && id.Length - dot == 4 && AllDigits(id.AsSpan(dot + 1)) && id[dot - 1] is >= '0' and <= '9')
        {
            parent = id[..dot];
            return true;
        }

        parent = string.Empty;
        return false;
    }

    private static bool AllDigits(ReadOnlySpan<char> text)
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

    /// <summary>A technique's name and its tactic (each technique the rules name has one tactic in ATT&amp;CK Enterprise).</summary>
    internal sealed record Technique(string Name, string TacticId, string TacticName);
}
