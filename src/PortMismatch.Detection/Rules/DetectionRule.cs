using System.Collections.Immutable;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// One rule: "a record whose app is one of <see cref="Apps"/> is a mismatch when its destination port is not in
/// <see cref="ExpectedPorts"/>" (optionally only for one <see cref="Transport"/>). Immutable and validated on creation.
/// </summary>
public sealed class DetectionRule
{
    private readonly int _riskScore;
    private readonly ImmutableArray<string> _techniques = ImmutableArray<string>.Empty;
    private readonly Transport? _transport;
    private readonly ImmutableArray<RuleExemption> _exemptions = ImmutableArray<RuleExemption>.Empty;
    private readonly ImmutableArray<string> _upgradeOf = ImmutableArray<string>.Empty;

    /// <summary>Creates a rule.</summary>
    /// <param name="id">A stable identifier, unique in its rule set (for example <c>escu-dns</c>).</param>
    /// <param name="name">A human-readable name.</param>
    /// <param name="apps">The app values the rule applies to, matched ignoring ASCII case; at least one.</param>
    /// <param name="expectedPorts">The destination ports where these apps are expected; not empty.</param>
    /// <exception cref="ArgumentException">A value is missing, blank or duplicated; the message names the rule and the problem.</exception>
    public DetectionRule(string id, string name, IEnumerable<string> apps, PortSet expectedPorts)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new ArgumentException("A rule needs a non-blank id.", nameof(id));
        }

        Id = id;
        Name = string.IsNullOrWhiteSpace(name) ? throw Invalid(nameof(name), "needs a non-blank name") : name;
        ArgumentNullException.ThrowIfNull(apps);
        var list = ImmutableArray.CreateBuilder<string>();
        var seen = new HashSet<string>(AsciiCaseComparer.Instance);
        foreach (var app in apps)
        {
            if (string.IsNullOrWhiteSpace(app))
            {
                throw Invalid(nameof(apps), "has a blank app name");
            }

            if (!seen.Add(app))
            {
                throw Invalid(nameof(apps), $"lists the app '{app}' twice");
            }

            list.Add(app);
        }

        if (list.Count == 0)
        {
            throw Invalid(nameof(apps), "needs at least one app name");
        }

        Apps = list.ToImmutable();
        ArgumentNullException.ThrowIfNull(expectedPorts);
        ExpectedPorts = expectedPorts.IsEmpty ? throw Invalid(nameof(expectedPorts), "needs at least one expected port") : expectedPorts;
    }

    /// <summary>Gets the rule's identifier.</summary>
    public string Id { get; }

    /// <summary>Gets the rule's human-readable name.</summary>
    public string Name { get; }

    /// <summary>Gets the app values the rule applies to (matched ignoring ASCII case only).</summary>
    public ImmutableArray<string> Apps { get; }

    /// <summary>Gets the destination ports where the apps are expected.</summary>
    public PortSet ExpectedPorts { get; }

    /// <summary>
    /// Gets the transport the rule is limited to, or <see langword="null"/> for any. A record whose transport is
    /// <see cref="Detection.Transport.Unknown"/> is checked by every rule, since the rule cannot be ruled out.
    /// </summary>
    public Transport? Transport
    {
        get => _transport;
        init => _transport = value is null or Detection.Transport.Tcp or Detection.Transport.Udp or Detection.Transport.Other
            ? value
            : throw Invalid(nameof(Transport), $"names the transport '{value}'; use tcp, udp, other, or none for any");
    }

    /// <summary>Gets a description for analysts.</summary>
    public string? Description { get; init; }

    /// <summary>
    /// Gets where the expected ports come from (an IANA registration, an RFC, Zeek's or nDPI's default ports, a vendor
    /// table), or <see langword="null"/> when the rule does not say.
    /// </summary>
    public string? Reference { get; init; }

    /// <summary>
    /// Gets the rule's exemptions: traffic the rule would flag that is accepted anyway. Each needs a comment and at least
    /// one condition (source network, destination network, destination ports).
    /// </summary>
    public ImmutableArray<RuleExemption> Exemptions
    {
        get => _exemptions;
        init
        {
            foreach (var exemption in value.IsDefault ? [] : value)
            {
                if (exemption is null)
                {
                    throw Invalid(nameof(Exemptions), "has a null exemption");
                }

                if (!exemption.HasCondition)
                {
                    throw Invalid(nameof(Exemptions), $"has the exemption '{exemption.Comment}' with no condition; it would switch the rule off");
                }
            }

            _exemptions = value.IsDefault ? ImmutableArray<RuleExemption>.Empty : value;
        }
    }

    /// <summary>
    /// Gets the apps this rule's apps may be an upgrade of or carried inside (TLS after STARTTLS in <c>smtp</c>, TLS through an
    /// HTTP <c>CONNECT</c> proxy, Kerberos inside LDAP's SASL bind): a value the rule would flag is not a mismatch under this
    /// rule when another value of the same record is one of these apps (ignoring ASCII case) and that value is expected on
    /// the record's port and transport, that is some rule of the set claims it there and none flags it. The original
    /// protocol on a port not its own, or the value alone, is still a mismatch. Empty (the default, and every ESCU rule): the
    /// rule judges each value on its own, literally.
    /// </summary>
    public ImmutableArray<string> UpgradeOf
    {
        get => _upgradeOf;
        init
        {
            var seen = new HashSet<string>(AsciiCaseComparer.Instance);
            foreach (var app in value.IsDefault ? [] : value)
            {
                if (string.IsNullOrWhiteSpace(app))
                {
                    throw Invalid(nameof(UpgradeOf), "has a blank app name in its upgrade-of list");
                }

                if (!seen.Add(app))
                {
                    throw Invalid(nameof(UpgradeOf), $"lists the app '{app}' twice in its upgrade-of list");
                }

                if (Apps.Contains(app, AsciiCaseComparer.Instance))
                {
                    throw Invalid(nameof(UpgradeOf), $"lists its own app '{app}' in its upgrade-of list; a protocol is no upgrade of itself");
                }
            }

            _upgradeOf = value.IsDefault ? ImmutableArray<string>.Empty : value;
        }
    }

    /// <summary>Gets the risk score of a finding, 0-100 (ESCU: impact x confidence / 100).</summary>
    public int RiskScore
    {
        get => _riskScore;
        init => _riskScore = value is >= 0 and <= 100 ? value : throw Invalid(nameof(RiskScore), $"has the risk score {value}; it must be 0-100");
    }

    /// <summary>Gets the MITRE ATT&amp;CK technique ids (<c>T1571</c>, <c>T1048.003</c>).</summary>
    public ImmutableArray<string> Techniques
    {
        get => _techniques;
        init
        {
            foreach (var technique in value)
            {
                if (string.IsNullOrWhiteSpace(technique))
                {
                    throw Invalid(nameof(Techniques), "has a blank technique id");
                }
            }

            _techniques = value.IsDefault ? ImmutableArray<string>.Empty : value;
        }
    }

    /// <summary>Returns the rule's id and name.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Id} ({Name})";

    /// <summary>Whether two app names are equal ignoring ASCII case; per row too (the allow-list), so it counts no <see cref="RuleWork"/>.</summary>
    internal static bool AsciiEqualsIgnoreCase(string a, string b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (AsciiLower(a[i]) != AsciiLower(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static char AsciiLower(char c) => c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;

    private ArgumentException Invalid(string parameter, string problem) => new($"Rule '{Id}' {problem}.", parameter);
}
