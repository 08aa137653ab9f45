using PortMismatch.Detection.Interop.Tests.Support;

namespace PortMismatch.Detection.Interop.Tests.Suricata;

/// <summary>
/// The rule sets and allow-lists the Suricata and Zeek export tests run on: the built-in sets and a rule file written here
/// with every kind of exemption, port ranges, each transport, an app no engine knows, two rules sharing an app, an upgrade-of
/// relation; an allow-list with and without app, networks, ports and a transport.
/// </summary>
internal static class ExportCases
{
    public const string CustomRules = """
        { "rules": [
          { "id": "c-dns", "name": "DNS off 53 and 5353-5355", "apps": ["dns", "Bogus-App"], "ports": [53, "5353-5355"], "transport": "udp",
            "techniques": ["T1071.004"],
            "exemptions": [
              { "comment": "our resolver answers on 8053", "ports": [8053] },
              { "comment": "the lab", "source": "10.0.0.0/8" },
              { "comment": "v6 test net", "destination": "2001:db8::/32" },
              { "comment": "home routers on 1000-2000", "source": "192.168.1.0/24", "ports": ["1000-2000"] } ] },
          { "id": "c-tls", "name": "TLS off 443, 8443, 1024-2000", "apps": ["ssl", "TLS"], "ports": [443, 8443, "1024-2000"],
            "upgradeOf": ["smtp", "http"] },
          { "id": "c-ssh", "name": "SSH off 22", "apps": ["ssh"], "ports": [22], "transport": "tcp",
            "exemptions": [ { "comment": "jump host", "source": "192.168.1.0/24", "destination": "10.0.0.0/8" } ] },
          { "id": "c-other", "name": "DNS over something else", "apps": ["dns"], "ports": [0], "transport": "other" },
          { "id": "c-http", "name": "HTTP off 80", "apps": ["http", "web-browsing"], "ports": [80], "transport": "tcp" },
          { "id": "c-http-alt", "name": "HTTP off 80, 8080", "apps": ["HTTP"], "ports": [80, 8080], "transport": "tcp",
            "exemptions": [ { "comment": "the proxy", "source": "10.0.0.0/8", "ports": [9000] } ] },
          { "id": "c-smtp", "name": "SMTP off 25, 587", "apps": ["smtp"], "ports": [25, 587], "transport": "tcp" },
          { "id": "c-full", "name": "expects every port", "apps": ["ntp"], "ports": ["0-65535"] }
        ] }
        """;

    public static RuleSet Custom { get; } = RuleSetJson.Parse(System.Text.Encoding.UTF8.GetBytes(CustomRules));

    public static AllowList CustomAllow { get; } = new(
    [
        new AllowListEntry("dns to the printers") { App = "dns", DestinationPorts = PortSet.Parse("4000-4100"), DestinationNetwork = IPNetworkValue.Parse("192.168.1.0/24") },
        new AllowListEntry("anything on 4444 to the lab") { DestinationPorts = PortSet.Of(4444), DestinationNetwork = IPNetworkValue.Parse("10.0.0.0/8") },
        new AllowListEntry("ssh from v6") { App = "ssh", SourceNetwork = IPNetworkValue.Parse("2001:db8::/32") },
        new AllowListEntry("smtp over tcp on 2525") { App = "smtp", DestinationPorts = PortSet.Of(2525), Transport = Transport.Tcp },
        new AllowListEntry("an app nobody names") { App = "gopher" },
    ]);

    /// <summary>The cases: name, rules, allow-list.</summary>
    public static TheoryData<string> Names() => ["escu", "escu+benign", "extended", "extended+benign", "panos-appid", "custom"];

    public static (RuleSet Rules, AllowList Allow) Get(string name) => name switch
    {
        "escu" => (RuleSet.Escu, AllowList.Empty),
        "escu+benign" => (RuleSet.Escu, AllowLists.Benign),
        "extended" => (RuleSet.Extended, AllowList.Empty),
        "extended+benign" => (RuleSet.Extended, AllowLists.Benign),
        "panos-appid" => (RuleSet.PanOsAppId, AllowList.Empty),
        "custom" => (Custom, CustomAllow),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    public static bool Claims(DetectionRule rule, string app) => rule.Apps.Any(a => AsciiEquals(a, app));

    public static bool AsciiEquals(string a, string b) => string.Equals(AsciiLower(a), AsciiLower(b), StringComparison.Ordinal);

    public static string AsciiLower(string value) => string.Create(value.Length, value, static (span, v) =>
    {
        for (var i = 0; i < v.Length; i++)
        {
            span[i] = v[i] is >= 'A' and <= 'Z' ? (char)(v[i] | 0x20) : v[i];
        }
    });

    /// <summary>Whether an allow-list entry drops a record's value (per record: the row's transport condition read per record).</summary>
    public static bool Allows(AllowListEntry entry, SampleRecord record, string app)
        => entry.HasCondition
            && (entry.App is null || AsciiEquals(entry.App, app))
            && (entry.DestinationPorts is null || entry.DestinationPorts.Contains(record.Port ?? 0))
            && (entry.SourceNetwork is not { } source || source.Contains(Address(record.Source)))
            && (entry.DestinationNetwork is not { } destination || destination.Contains(Address(record.Destination)))
            && (entry.Transport is not { } transport || transport == record.Transport);

    public static IPAddressValue Address(string? text) => text is null ? IPAddressValue.None : IPAddressValue.Parse(text);

    /// <summary>Gets the path of a file of this test project's sources (golden files are not copied to the output).</summary>
    public static string GoldenPath(string name) => Repository.PathOf(["tests", "PortMismatch.Detection.Interop.Tests", .. name.Split('/')]);

    /// <summary>Compares a text with its golden file; with PORTMISMATCH_UPDATE_GOLDEN=1 writes the file instead (review the diff).</summary>
    public static void AssertGolden(string name, string text)
    {
        var path = GoldenPath(name);
        if (Environment.GetEnvironmentVariable("PORTMISMATCH_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }

        Assert.True(File.Exists(path), $"no golden file {path}; run with PORTMISMATCH_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), text);
    }
}
