using System.Collections.Frozen;

namespace PortMismatch.Detection.Siem.Internal;

/// <summary>
/// The MITRE ATT&amp;CK (Enterprise) names of the technique ids the built-in rule sets carry, and of their parent
/// techniques, so that a SIEM shows a name next to an id. A rule from a file may name any id: one without an entry here
/// is written with its id (and its ATT&amp;CK page when it has the form of an ATT&amp;CK id) but without a name.
/// </summary>
internal static class AttackTechniques
{
    private static readonly FrozenDictionary<string, string> Names = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["T1021"] = "Remote Services",
        ["T1021.001"] = "Remote Desktop Protocol",
        ["T1021.002"] = "SMB/Windows Admin Shares",
        ["T1021.004"] = "SSH",
        ["T1048"] = "Exfiltration Over Alternative Protocol",
        ["T1048.002"] = "Exfiltration Over Asymmetric Encrypted Non-C2 Protocol",
        ["T1048.003"] = "Exfiltration Over Unencrypted Non-C2 Protocol",
        ["T1071"] = "Application Layer Protocol",
        ["T1071.001"] = "Web Protocols",
        ["T1071.002"] = "File Transfer Protocols",
        ["T1071.003"] = "Mail Protocols",
        ["T1071.004"] = "DNS",
        ["T1087"] = "Account Discovery",
        ["T1087.002"] = "Domain Account",
        ["T1558"] = "Steal or Forge Kerberos Tickets",
        ["T1571"] = "Non-Standard Port",
        ["T1572"] = "Protocol Tunneling",
        ["T1573"] = "Encrypted Channel",
        ["T1573.002"] = "Asymmetric Cryptography",
        ["T1602"] = "Data from Configuration Repository",
        ["T1602.001"] = "SNMP (MIB Dump)",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Gets the name of a technique or sub-technique id, or <see langword="null"/> when it has no entry.</summary>
    public static string? NameOf(string id) => Names.GetValueOrDefault(id);

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
}
