namespace PortMismatch.Detection.Fuzz;

/// <summary>A few fixed flow records (IPv4 and IPv6, tcp and udp, expected and unexpected ports) for the configuration targets.</summary>
public static class FixedRecords
{
    private static readonly (string Source, string Destination, int Port, Transport Transport, string Apps)[] Flows =
    [
        ("10.0.0.1", "192.0.2.1", 8080, Transport.Tcp, "http"),
        ("10.0.0.2", "192.0.2.2", 53, Transport.Udp, "dns"),
        ("10.0.0.3", "192.0.2.3", 5353, Transport.Udp, "dns"),
        ("2001:db8::1", "2001:db8::2", 4444, Transport.Tcp, "ssl,http"),
        ("10.0.0.4", "198.51.100.7", 2525, Transport.Tcp, "smtp"),
        ("10.0.0.5", "198.51.100.8", 22, Transport.Tcp, "ssh"),
        ("10.0.0.6", "198.51.100.9", 443, Transport.Udp, "quic,ssl"),
    ];

    /// <summary>Delivers the records to <paramref name="sink"/>, one second apart.</summary>
    /// <param name="sink">The sink.</param>
    public static void Feed(IFlowRecordSink sink)
    {
        var time = FlowTime.FromDateTimeOffset(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        foreach (var (source, destination, port, transport, apps) in Flows)
        {
            var record = new FlowRecord
            {
                TimestampMicroseconds = time,
                SourceAddress = IPAddressValue.Parse(source),
                DestinationAddress = IPAddressValue.Parse(destination),
                SourcePort = 50000,
                DestinationPort = (ushort)port,
                Transport = transport,
                Apps = AppValues.Split(System.Text.Encoding.UTF8.GetBytes(apps), (byte)','),
            };
            sink.OnRecord(record);
            time += 1_000_000;
        }
    }
}
