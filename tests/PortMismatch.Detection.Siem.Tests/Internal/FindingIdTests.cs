using System.Collections.Immutable;
using PortMismatch.Detection.Siem.Internal;

namespace PortMismatch.Detection.Siem.Tests.Internal;

public sealed class FindingIdTests
{
    private static readonly DetectionRule Ssl = RuleSet.Escu.Rules.Single(r => r.Id == "escu-ssl");

    private static MismatchRow Row(DetectionRule? rule, string source, string destination, string app, int port, long count = 3, long first = 1, long last = 2)
        => new(
            source == "null" ? IPAddressValue.None : IPAddressValue.Parse(source),
            IPAddressValue.Parse(destination),
            app,
            port,
            count,
            first,
            last,
            rule,
            [Transport.Tcp]);

    // The expected ids were computed outside .NET, by the recipe in FindingId's remarks, with Python:
    // h = bytearray(hashlib.sha256(name.encode()).digest()[:16]); h[6] = (h[6] & 0x0F) | 0x80; h[8] = (h[8] & 0x3F) | 0x80; uuid.UUID(bytes=bytes(h))
    [Fact]
    public void The_id_is_the_documented_name_based_sha256_uuid()
    {
        Assert.Equal("2b104862-4a33-8963-bb02-d2f4fe09b138", FindingId.Compute(Row(Ssl, "10.1.0.13", "2001:db8::66", "ssl", 4444)));
        Assert.Equal(
            "b7afc0ed-fcc6-8bd5-892b-01c24eae27eb",
            FindingId.Compute(new MismatchRow(IPAddressValue.None, IPAddressValue.Parse("192.0.2.7"), "x\\x00y", 0, 1, 5, 6, null, ImmutableArray<Transport>.Empty)
            {
                WindowStartMicroseconds = 1_700_000_000_000_000,
                WindowEndMicroseconds = 1_700_000_900_000_000,
            }));
    }

    [Fact]
    public void Count_times_transports_and_flags_do_not_change_the_id_and_each_key_field_does()
    {
        var id = FindingId.Compute(Row(Ssl, "10.1.0.13", "192.0.2.1", "ssl", 4444));
        Assert.Equal(id, FindingId.Compute(new MismatchRow(IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("192.0.2.1"), "ssl", 4444, 99, 7, 8, Ssl, [Transport.Udp]) { IsLate = true, IsPartial = true }));
        string[] others =
        [
            FindingId.Compute(Row(null, "10.1.0.13", "192.0.2.1", "ssl", 4444)),
            FindingId.Compute(Row(Ssl, "10.1.0.14", "192.0.2.1", "ssl", 4444)),
            FindingId.Compute(Row(Ssl, "10.1.0.13", "192.0.2.2", "ssl", 4444)),
            FindingId.Compute(Row(Ssl, "10.1.0.13", "192.0.2.1", "tls", 4444)),
            FindingId.Compute(Row(Ssl, "10.1.0.13", "192.0.2.1", "ssl", 4445)),
            FindingId.Compute(new MismatchRow(IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("192.0.2.1"), "ssl", 4444, 1, 1, 2, Ssl, [Transport.Tcp]) { WindowStartMicroseconds = 0, WindowEndMicroseconds = 60_000_000 }),
        ];
        Assert.Equal(others.Length + 1, others.Append(id).Distinct().Count());
    }
}
