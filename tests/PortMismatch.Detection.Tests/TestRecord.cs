using System.Text;

namespace PortMismatch.Detection.Tests;

/// <summary>A flow record as plain data, so tests and generators can hold and print it; <see cref="Use{T}"/> makes the real one.</summary>
public sealed record TestRecord(string[] Apps, int? DestinationPort, Transport Transport = Transport.Unknown)
{
    /// <summary>Values are joined with this byte, which no generated value contains, so commas stay inside values.</summary>
    public const byte Separator = 0x1F;

    public long TimestampMicroseconds { get; init; }

    public IPAddressValue Source { get; init; }

    public IPAddressValue Destination { get; init; }

    public delegate T RecordFunc<out T>(in FlowRecord record);

    public T Use<T>(RecordFunc<T> use)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Join((char)Separator, Apps));
        var record = new FlowRecord
        {
            TimestampMicroseconds = TimestampMicroseconds,
            SourceAddress = Source,
            DestinationAddress = Destination,
            DestinationPort = DestinationPort is { } p ? (ushort)p : null,
            Transport = Transport,
            Apps = AppValues.Split(bytes, Separator),
        };
        return use(record);
    }

    public override string ToString()
        => $"apps=[{string.Join(", ", Apps.Select(a => $"\"{a}\""))}] port={DestinationPort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "absent"} {Transport}";
}
