using System.Collections;
using System.Collections.Immutable;

namespace PortMismatch.Detection;

/// <summary>
/// An immutable, validated, ordered list of <see cref="DetectionRule"/>s. A record is a mismatch when any rule says so,
/// as the <c>OR</c> of the Splunk search. Two rules may claim the same app with different ports: each is checked on its own,
/// so the app is a mismatch on a port that is missing from either rule's expected ports.
/// </summary>
public sealed class RuleSet : IReadOnlyList<DetectionRule>
{
    private readonly ImmutableArray<DetectionRule> _rules;

    /// <summary>Creates a rule set.</summary>
    /// <param name="rules">The rules, in order; at least one, with distinct ids.</param>
    /// <exception cref="ArgumentException">There is no rule, a rule is null, or two rules share an id.</exception>
    public RuleSet(IEnumerable<DetectionRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var builder = ImmutableArray.CreateBuilder<DetectionRule>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (rule is null)
            {
                throw new ArgumentException($"Rule {builder.Count} is null.", nameof(rules));
            }

            if (!ids.Add(rule.Id))
            {
                throw new ArgumentException($"Rule '{rule.Id}' appears twice: rule ids must be unique in a rule set.", nameof(rules));
            }

            builder.Add(rule);
        }

        if (builder.Count == 0)
        {
            throw new ArgumentException("A rule set needs at least one rule.", nameof(rules));
        }

        _rules = builder.ToImmutable();
    }

    /// <summary>
    /// Gets the Splunk ESCU "Protocol or Port Mismatch" rules (search versions 2-5), verbatim: dns off 53; web-browsing or http
    /// off 80, 8080, 8000; ssl off 443, 8443; smtp off 25. Risk score 25; ATT&amp;CK T1048.003 and T1048 as ESCU tags them, plus T1571.
    /// </summary>
    public static RuleSet Escu { get; } = EscuRules.Create();

    /// <summary>
    /// Gets the <c>extended</c> set: transport-aware rules for DNS (with mDNS, LLMNR, NetBIOS-NS, DoT), HTTP, TLS (with the
    /// implicit-TLS ports), QUIC, SMTP, IMAP, POP3, SSH, RDP, Telnet, FTP, SMB, NTP, SNMP, LDAP, Kerberos, SIP, IRC, MySQL,
    /// PostgreSQL and SQL Server, each with the source of its ports, a risk score, ATT&amp;CK ids, and the app names Zeek,
    /// PAN-OS, nDPI and YAF use. On the ESCU app names it flags a subset of what <see cref="Escu"/> flags.
    /// </summary>
    public static RuleSet Extended { get; } = ExtendedRules.Create();

    /// <summary>
    /// Gets the <c>panos-appid</c> set: one rule per PAN-OS App-ID and transport with static default ports, generated from the
    /// Palo Alto Networks Splunk add-on's <c>app_list.csv</c> (ISC licence) by <c>tools/generate-panos-pack.py</c>; loaded
    /// from an embedded resource on first use.
    /// </summary>
    public static RuleSet PanOsAppId => RuleSets.PanOsAppId;

    /// <summary>Gets the number of rules.</summary>
    public int Count => _rules.Length;

    /// <summary>Gets the rules in order.</summary>
    public ImmutableArray<DetectionRule> Rules => _rules;

    /// <summary>Gets the rule at <paramref name="index"/> (the index the evaluator reports).</summary>
    /// <param name="index">The index.</param>
    public DetectionRule this[int index] => _rules[index];

    /// <summary>Finds a rule by id.</summary>
    /// <param name="id">The id (ordinal comparison).</param>
    /// <returns>The rule, or <see langword="null"/>.</returns>
    public DetectionRule? Find(string id)
    {
        foreach (var rule in _rules)
        {
            if (string.Equals(rule.Id, id, StringComparison.Ordinal))
            {
                return rule;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public IEnumerator<DetectionRule> GetEnumerator() => ((IEnumerable<DetectionRule>)_rules).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
