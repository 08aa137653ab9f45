using System.Collections.Immutable;

namespace PortMismatch.Detection.Siem.Tests.Support;

/// <summary>
/// Seeded random rows covering what a SIEM writer must handle: IPv4 (with the mapped and zero-run IPv6 forms), IPv6 and
/// absent addresses, every transport combination, no rule, the built-in rules, a rule with many techniques (known,
/// unknown, sub-techniques, ATLAS, ids of no known shape) and a bare one, app text with backslashes, <c>\xHH</c> escapes,
/// quotes, markup, upper case and non-ASCII, windows, partial and late rows, ports 0 and 65535, counts up to
/// <see cref="long.MaxValue"/>, and times from <see cref="FlowTime.MinMicroseconds"/> to <see cref="FlowTime.MaxMicroseconds"/>.
/// </summary>
internal sealed class RandomRows(int seed)
{
    private static readonly string[] Apps =
    [
        "ssl", "dns", "http", "smtp", "DNS", "Web-Browsing", "", "x\\x5cy", "back\\x5cslash", "\\x00\\x1f\\x7f", "\\xff\\xfe",
        "a\"b", "</script>", "ünïcödé-名前", "spaces in app", "tab\\x09",
    ];

    private static readonly DetectionRule ManyTechniques = new("many", "Many techniques", ["ssl"], PortSet.Parse("443"))
    {
        RiskScore = 100,
        Techniques = ["T1571", "T1048.003", "T1048", "T1021.004", "T1602.001", "T9999", "T9999.001", "AML.T0040", "AML.T0011.000", "TA0011", "t1571", "not an id"],
        Description = "A rule with \"quotes\" and \\ backslashes",
        Reference = "https://example.com/rules/many",
    };

    private static readonly DetectionRule Bare = new("bare", "No description, reference or technique", ["ftp"], PortSet.Of(21));

    private readonly Random _random = new(seed);
    private readonly DetectionRule?[] _rules = [null, .. RuleSet.Escu, .. RuleSet.Extended, ManyTechniques, Bare];

    /// <summary>Gets the seed, for the message of a failing test.</summary>
    public int Seed { get; } = seed;

    /// <summary>The first <paramref name="count"/> rows of the seed.</summary>
    public static List<MismatchRow> Generate(int seed, int count)
    {
        var random = new RandomRows(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.Next())];
    }

    public MismatchRow Next()
    {
        var rule = _rules[_random.Next(_rules.Length)];
        var first = _random.Next(8) switch
        {
            0 => FlowTime.MinMicroseconds,
            1 => _random.NextInt64(-2_000_000_000_000_000, 0),
            2 => 0,
            3 => _random.NextInt64(0, 4_000_000_000_000_000),
            _ => _random.NextInt64(1_600_000_000_000_000, 1_800_000_000_000_000),
        };
        var last = _random.Next(10) == 0 ? FlowTime.MaxMicroseconds : first + _random.NextInt64(0, 86_400_000_000);
        long? windowStart = _random.Next(3) == 0 ? null : first - (first % 900_000_000);
        return new MismatchRow(
            _random.Next(5) == 0 ? IPAddressValue.None : Address(),
            _random.Next(20) == 0 ? IPAddressValue.None : Address(),
            Apps[_random.Next(Apps.Length)],
            _random.Next(6) switch { 0 => 0, 1 => 65535, _ => _random.Next(65536) },
            _random.Next(4) switch { 0 => long.MaxValue, 1 => 1, _ => _random.NextInt64(1, long.MaxValue) },
            first,
            last,
            rule,
            Transports())
        {
            WindowStartMicroseconds = windowStart,
            WindowEndMicroseconds = windowStart + 900_000_000,
            IsPartial = _random.Next(4) == 0,
            IsLate = windowStart is not null && _random.Next(4) == 0,
        };
    }

    private IPAddressValue Address()
    {
        Span<byte> bytes = stackalloc byte[_random.Next(2) == 0 ? 4 : 16];
        _random.NextBytes(bytes);
        if (bytes.Length == 16 && _random.Next(4) == 0)
        {
            bytes[..10].Clear(); // ::ffff:a.b.c.d and runs of zeros, which IPv6 text compresses
            bytes[10] = bytes[11] = (byte)(_random.Next(2) == 0 ? 0xff : 0);
        }

        return IPAddressValue.FromBytes(bytes);
    }

    private ImmutableArray<Transport> Transports()
    {
        var builder = ImmutableArray.CreateBuilder<Transport>();
        foreach (var transport in (Transport[])[Transport.Unknown, Transport.Tcp, Transport.Udp, Transport.Other])
        {
            if (_random.Next(3) == 0)
            {
                builder.Add(transport);
            }
        }

        return builder.ToImmutable();
    }
}
