using System.Collections.Immutable;

namespace PortMismatch.Detection.Siem.Tests.Ecs;

/// <summary>Seeded rows that reach every branch of the ECS writer.</summary>
internal static class EcsRows
{
    private static readonly string[] Apps = ["ssl", "DNS", "http", "Web-Browsing", "back\\x5cslash", "quote\"d", "tab\\x09", "ünïcode-名前", "x\\xff\\xfe", "smtp"];
    private static readonly Transport[] AllTransports = [Transport.Unknown, Transport.Tcp, Transport.Udp, Transport.Other];

    private static readonly ImmutableArray<DetectionRule> Rules =
    [
        .. RuleSet.Escu.Rules,
        .. RuleSet.Extended.Rules,
        new DetectionRule("file-rule", "A rule from a file with odd technique ids", ["quic"], PortSet.Of(443))
        {
            Techniques = ["T1021.001", "T9999", "X-CUSTOM-1", "T1021.002", "T1602.001", "T1571", "T1048", "T1048.003", "TA0011", "t1571"],
            Reference = "https://example.org/rules/file-rule",
            RiskScore = 100,
        },
        new DetectionRule("bare", "No description, reference or technique", ["ftp"], PortSet.Of(21)),
    ];

    public static List<MismatchRow> Generate(int seed, int count)
    {
        var random = new Random(seed);
        var rows = new List<MismatchRow>(count);
        for (var i = 0; i < count; i++)
        {
            var transports = AllTransports.Where(_ => random.Next(3) == 0).ToImmutableArray();
            long first = random.Next(8) switch
            {
                0 => FlowTime.MinMicroseconds,
                1 => -1_234_567,
                2 => 0,
                _ => 1_700_000_000_000_000 + random.NextInt64(1_000_000_000_000),
            };
            var last = random.Next(10) == 0 ? FlowTime.MaxMicroseconds : first + random.NextInt64(10_000_000_000);
            var windowed = random.Next(2) == 0;
            var windowStart = first - (first % 900_000_000);
            rows.Add(new MismatchRow(
                Address(random),
                random.Next(10) == 0 ? IPAddressValue.None : Address(random),
                Apps[random.Next(Apps.Length)],
                random.Next(4) switch { 0 => 0, 1 => 65535, _ => random.Next(65536) },
                random.Next(5) == 0 ? long.MaxValue - random.Next(1000) : 1 + random.Next(100_000),
                first,
                last,
                random.Next(6) == 0 ? null : Rules[random.Next(Rules.Length)],
                transports)
            {
                WindowStartMicroseconds = windowed ? windowStart : null,
                WindowEndMicroseconds = windowed ? windowStart + 900_000_000 : null,
                IsPartial = random.Next(4) == 0,
                IsLate = windowed && random.Next(4) == 0,
            });
        }

        return rows;
    }

    private static IPAddressValue Address(Random random) => random.Next(5) switch
    {
        0 => IPAddressValue.None,
        1 => IPAddressValue.Parse($"2001:db8::{random.Next(65536):x}"),
        2 => IPAddressValue.Parse($"fe80::{random.Next(65536):x}:{random.Next(65536):x}"),
        _ => IPAddressValue.Parse($"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(256)}"),
    };
}
