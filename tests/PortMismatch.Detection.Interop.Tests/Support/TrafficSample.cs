using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Interop.Tests.Support;

/// <summary>
/// One generated flow as every engine sees it: addresses (null when absent), 0-3 app values, the destination port (null
/// when absent), the transport and the time. The equivalence tests hand the same records to the library and to an
/// evaluator of an export, and compare what each selects and the rows each makes.
/// </summary>
internal sealed record SampleRecord(string? Source, string? Destination, string[] Apps, int? Port, Transport Transport, long TimeMicroseconds)
{
    /// <summary>Gets the CIM / ASIM name of the transport (<c>tcp</c>, <c>udp</c>, <c>icmp</c> for other), or null when unknown; a test may set another name (<c>gre</c>) that means the same transport.</summary>
    public string? TransportName
    {
        get => _transportName ?? Transport switch
        {
            Transport.Tcp => "tcp",
            Transport.Udp => "udp",
            Transport.Other => "icmp",
            _ => null,
        };
        init => _transportName = value;
    }

    private readonly string? _transportName;

    /// <summary>Gets the record as the library reads it.</summary>
    public FlowRecord ToFlowRecord(byte[] appBytes) => new()
    {
        SourceAddress = Source is null ? IPAddressValue.None : IPAddressValue.Parse(Source),
        DestinationAddress = Destination is null ? IPAddressValue.None : IPAddressValue.Parse(Destination),
        DestinationPort = Port is { } port ? (ushort)port : null,
        Transport = Transport,
        TimestampMicroseconds = TimeMicroseconds,
        Apps = Apps.Length == 0 ? AppValues.None : AppValues.Split(appBytes, (byte)','),
    };

    /// <summary>Returns the record for a failure message.</summary>
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Source ?? "-"} -> {Destination ?? "-"}:{Port?.ToString(CultureInfo.InvariantCulture) ?? "-"} {TransportName ?? "unknown"} [{string.Join('|', Apps)}] @{TimeMicroseconds}");
}

/// <summary>
/// A result row as the search prints it: the key (addresses as text or <c>null</c>, the app value, the port with 0 for an
/// absent one), count, first and last time in microseconds.
/// </summary>
internal sealed record SampleRow(string Source, string Destination, string App, int Port, long Count, long First, long Last)
{
    /// <summary>Returns the row.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Source} {Destination} {App} {Port} count={Count} {First}..{Last}");
}

/// <summary>Generates records aimed at a rule set's edges, and runs the library on them.</summary>
internal static class TrafficSample
{
    private static readonly string[] NearMisses = ["dns-base", "tls", "https", " dns", "dns ", "smtp-base", "web", "", "ssl2", "unknown", "ßsl"];

    private static readonly string[] Networks = ["10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32"];

    /// <summary>
    /// Generates records: apps from the rule set's apps and upgrade-of apps (in random ASCII case), the allow-list's apps,
    /// near misses and random words; ports from the expected ports, their neighbours, exemption and allow-list ports, 0,
    /// 65535 and absent; addresses inside and outside the exemptions' and allow-list's networks, IPv4 and IPv6, or absent;
    /// every transport; times within a few hours. Apps hold no comma (the library's multi-value separator here).
    /// </summary>
    public static List<SampleRecord> Generate(RuleSet rules, AllowList allowList, Random random, int count)
    {
        var apps = rules.SelectMany(r => r.Apps.Concat(r.UpgradeOf)).Concat(allowList.Select(e => e.App).OfType<string>()).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        var ports = new List<int> { 0, 1, 65535 };
        foreach (var set in rules.Select(r => r.ExpectedPorts)
            .Concat(rules.SelectMany(r => r.Exemptions).Select(e => e.DestinationPorts).OfType<PortSet>())
            .Concat(allowList.Select(e => e.DestinationPorts).OfType<PortSet>()))
        {
            foreach (var range in set.Ranges)
            {
                ports.AddRange([range.First, range.Last, range.First - 1, range.Last + 1]);
            }
        }

        var portPool = ports.Where(p => p is >= 0 and <= 65535).Distinct().ToArray();
        var networks = rules.SelectMany(r => r.Exemptions).SelectMany(e => new[] { e.SourceNetwork, e.DestinationNetwork })
            .Concat(allowList.SelectMany(e => new[] { e.SourceNetwork, e.DestinationNetwork }))
            .OfType<IPNetworkValue>().Concat(Networks.Select(IPNetworkValue.Parse)).Distinct().ToArray();
        var transports = new[] { Transport.Tcp, Transport.Udp, Transport.Other, Transport.Unknown };
        var records = new List<SampleRecord>(count);
        for (var n = 0; n < count; n++)
        {
            var values = new string[random.Next(10) switch { 0 => 0, < 6 => 1, < 9 => 2, _ => 3 }];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = random.Next(10) switch
                {
                    < 7 when apps.Length > 0 => RandomCase(apps[random.Next(apps.Length)], random),
                    7 => NearMisses[random.Next(NearMisses.Length)],
                    8 => RandomWord(random),
                    _ => RandomCase(apps.Length > 0 ? apps[random.Next(apps.Length)] : "dns", random),
                };
            }

            int? port = random.Next(20) == 0 ? null : random.Next(4) == 0 ? random.Next(65536) : portPool[random.Next(portPool.Length)];
            records.Add(new SampleRecord(
                Address(networks, random),
                Address(networks, random),
                values,
                port,
                transports[random.Next(transports.Length)],
                1_700_000_000_000_000L + (random.NextInt64(4 * 3600) * 1_000_000L) + random.Next(1_000_000)));
        }

        return records;
    }

    /// <summary>Gets, per record, which of its app values the library flags (bit i for value i): the evaluator's verdict.</summary>
    public static ulong[] LibraryMasks(RuleSet rules, IReadOnlyList<SampleRecord> records)
    {
        var evaluator = new MismatchEvaluator(rules);
        var masks = new ulong[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i].ToFlowRecord(Encoding.UTF8.GetBytes(string.Join(',', records[i].Apps)));
            masks[i] = evaluator.Evaluate(record).MismatchMask;
        }

        return masks;
    }

    /// <summary>
    /// Gets the library's rows for the records: aggregated by (source, destination, app value, port) with the grouping
    /// asked for (<see cref="AppGrouping.AllValues"/> is tstats' literal <c>by</c>), then filtered by the allow-list; sorted.
    /// </summary>
    public static List<SampleRow> LibraryRows(RuleSet rules, AllowList allowList, IReadOnlyList<SampleRecord> records, AppGrouping grouping)
    {
        var sink = new CollectingSink();
        using (var aggregator = new MismatchAggregator(new MismatchEvaluator(rules), new RowFilter(sink, allowList), new AggregatorOptions { Grouping = grouping }))
        {
            foreach (var sample in records)
            {
                aggregator.Add(sample.ToFlowRecord(Encoding.UTF8.GetBytes(string.Join(',', sample.Apps))));
            }

            aggregator.Complete();
        }

        return Sorted(sink.Rows.Select(r => new SampleRow(
            Text(r.SourceAddress), Text(r.DestinationAddress), r.App, r.DestinationPort, r.Count, r.FirstTimeMicroseconds, r.LastTimeMicroseconds)));
    }

    /// <summary>Sorts rows by key, ordinal.</summary>
    public static List<SampleRow> Sorted(IEnumerable<SampleRow> rows)
        => [.. rows.OrderBy(r => r.Source, StringComparer.Ordinal).ThenBy(r => r.Destination, StringComparer.Ordinal)
            .ThenBy(r => r.App, StringComparer.Ordinal).ThenBy(r => r.Port)];

    /// <summary>Gets an address as rows print it: canonical text, or <c>null</c> when absent (tstats' <c>fillnull_value=null</c>).</summary>
    public static string Text(IPAddressValue address) => address.HasValue ? address.ToIPAddress()!.ToString() : "null";

    private static string? Address(IPNetworkValue[] networks, Random random)
    {
        switch (random.Next(8))
        {
            case 0:
                return null;
            case < 5:
                // inside a network: its address with random low bits
                var network = networks[random.Next(networks.Length)];
                var bytes = network.Address.ToIPAddress()!.GetAddressBytes();
                for (var bit = network.PrefixLength; bit < bytes.Length * 8; bit++)
                {
                    if (random.Next(2) == 1)
                    {
                        bytes[bit / 8] |= (byte)(0x80 >> (bit % 8));
                    }
                }

                return new System.Net.IPAddress(bytes).ToString();
            case < 7:
                return string.Create(CultureInfo.InvariantCulture, $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(256)}");
            default:
                // canonical text (2001:db9:: for 0), as a sensor writes it and as rows print it
                return System.Net.IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"2001:db9::{random.Next(65536):x}")).ToString();
        }
    }

    private static string RandomCase(string app, Random random)
    {
        var chars = app.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] is >= 'a' and <= 'z' or >= 'A' and <= 'Z' && random.Next(3) == 0)
            {
                chars[i] = (char)(chars[i] ^ 0x20);
            }
        }

        return new string(chars);
    }

    private static string RandomWord(Random random)
    {
        var chars = new char[random.Next(1, 8)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)('a' + random.Next(26));
        }

        return new string(chars);
    }

    private sealed class CollectingSink : IMismatchRowSink
    {
        public List<MismatchRow> Rows { get; } = [];

        public void OnRow(MismatchRow row) => Rows.Add(row);

        public ValueTask OnCompletedAsync(DetectionCounters counters) => ValueTask.CompletedTask;
    }
}
