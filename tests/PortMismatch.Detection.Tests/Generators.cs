using FsCheck;
using FsCheck.Fluent;

namespace PortMismatch.Detection.Tests;

/// <summary>FsCheck generators for DETECTION.md section 6: rule names in random case, near-misses, random strings; edge ports.</summary>
public static class Generators
{
    /// <summary>The fixed replay seed of every property in this suite; FsCheck prints it with any failure.</summary>
    public const string Replay = "(20261126,20261127)";

    public static readonly string[] RuleNames = ["dns", "web-browsing", "http", "ssl", "smtp"];

    public static readonly string[] NearMisses =
    [
        "dns-base", "tls", " dns", "DNS ", "ssl,http", "https", "smtp-base", "web_browsing", "web-browsin", "dnss", "dn",
        "ssl\t", "\u017Fsl", "dn\u017F", "\u212Aerberos", "smtp\0", "-dns", "http2", "quic", "", "incomplete", "unknown-tcp",
        "web-browsing,ssl", "DNS\u0301", "\u0130ttp",
    ];

    public static readonly int[] InterestingPorts =
    [
        53, 80, 8080, 8000, 443, 8443, 25,
        52, 54, 79, 81, 8079, 8081, 7999, 8001, 442, 444, 8442, 8444, 24, 26,
        0, 1, 65535, 65534, 5353, 4444, 587, 465, 853, 22, 3389,
    ];

    public static Gen<string> RandomCase(string name) =>
        Gen.ListOf(Gen.Elements(false, true), name.Length)
            .Select(upper => new string(name.Select((c, i) => upper[i] ? char.ToUpperInvariant(c) : c).ToArray()));

    public static Gen<string> AppValue() => Gen.Frequency(
        (5, Gen.Elements(RuleNames).SelectMany(RandomCase)),
        (3, Gen.Elements(NearMisses)),
        (2, ArbMap.Default.GeneratorFor<string>().Where(s => s is not null).Select(s => s.Replace((char)TestRecord.Separator, 'x'))));

    public static Gen<int?> Port() => Gen.Frequency(
        (6, Gen.Elements(InterestingPorts).Select(p => (int?)p)),
        (3, Gen.Choose(0, 65535).Select(p => (int?)p)),
        (1, Gen.Constant((int?)null)));

    public static Gen<TestRecord> Record() =>
        from count in Gen.Choose(0, 3)
        from apps in Gen.ArrayOf(AppValue(), count)
        from port in Port()
        from transport in Gen.Elements(Transport.Unknown, Transport.Tcp, Transport.Udp, Transport.Other)
        select new TestRecord(apps, port, transport);

    public static Arbitrary<TestRecord> Records() => Arb.From(Record());
}
