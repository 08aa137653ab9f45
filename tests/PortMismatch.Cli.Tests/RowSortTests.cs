using PortMismatch.Detection;
using Row = PortMismatch.Detection.MismatchRow;

namespace PortMismatch.Cli.Tests;

/// <summary>The scan's keyed sort gives <see cref="MismatchRowComparer"/>'s order.</summary>
public sealed class RowSortTests
{
    [Fact]
    public void The_keyed_sort_orders_rows_as_the_comparer_does()
    {
        const int Seed = 20261126;
        var random = new Random(Seed);
        string[] apps = ["ssl", "dns", "http", "SSL", "ssl,http", "smtp", "é", "a b"];
        IPAddressValue[] addresses =
        [
            IPAddressValue.None,
            IPAddressValue.Parse("10.0.0.1"),
            IPAddressValue.Parse("10.0.0.2"),
            IPAddressValue.Parse("192.0.2.1"),
            IPAddressValue.Parse("2001:db8::1"),
            IPAddressValue.Parse("::ffff:10.0.0.1"),
        ];
        var rows = new List<Row>();
        for (var i = 0; i < 5000; i++)
        {
            var window = random.Next(3) == 0 ? (long?)null : random.Next(3) * 60_000_000L;
            rows.Add(new Row(
                addresses[random.Next(addresses.Length)],
                addresses[random.Next(addresses.Length)],
                apps[random.Next(apps.Length)],
                random.Next(3) * 4443,
                1,
                i,
                i,
                null,
                [])
            {
                WindowStartMicroseconds = window,
                WindowEndMicroseconds = window + 60_000_000L,
            });
        }

        var expected = rows.Order(MismatchRowComparer.Instance).ToList();
        var actual = ScanCommand.Sort(rows);
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(MismatchRowComparer.Instance.Compare(expected[i], actual[i]) == 0, $"seed {Seed}: rows differ at {i}");
        }
    }
}
