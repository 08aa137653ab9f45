namespace PortMismatch.Detection;

/// <summary>
/// One flow record in the shape of CIM Network_Traffic: what every adapter produces and the evaluator reads.
/// A <see langword="ref"/> struct so that a reader can point its app values into its own buffer without copying;
/// creating one costs a few stores.
/// </summary>
public readonly ref struct FlowRecord
{
    /// <summary>Gets the event time (<c>_time</c>) in microseconds since the Unix epoch, UTC.</summary>
    public long TimestampMicroseconds { get; init; }

    /// <summary>Gets the source address (<c>src_ip</c>); <see cref="IPAddressValue.None"/> when absent.</summary>
    public IPAddressValue SourceAddress { get; init; }

    /// <summary>Gets the destination address (<c>dest_ip</c>); <see cref="IPAddressValue.None"/> when absent.</summary>
    public IPAddressValue DestinationAddress { get; init; }

    /// <summary>Gets the source port, or <see langword="null"/> when absent.</summary>
    public ushort? SourcePort { get; init; }

    /// <summary>Gets the destination port, or <see langword="null"/> when absent (the detection then uses 0, as CIM does).</summary>
    public ushort? DestinationPort { get; init; }

    /// <summary>Gets the transport protocol.</summary>
    public Transport Transport { get; init; }

    /// <summary>Gets the application-protocol values (<c>app</c>).</summary>
    public AppValues Apps { get; init; }

    /// <summary>Gets the byte count, when the source gives one.</summary>
    public long? Bytes { get; init; }

    /// <summary>Gets the packet count, when the source gives one.</summary>
    public long? Packets { get; init; }

    /// <summary>
    /// Gets the sensor's id of the flow as UTF-8 text, pointing into the reader's buffer: Zeek's <c>uid</c>, Suricata's
    /// <c>flow_id</c> (its decimal text); empty when the source has none. Evidence joins use it to find the flow's
    /// records in the sensor's other logs; it is valid only while the record is.
    /// </summary>
    public ReadOnlySpan<byte> FlowId { get; init; }

    /// <summary>Gets the event time as a <see cref="DateTimeOffset"/> (UTC).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp is outside the range of <see cref="DateTimeOffset"/>.</exception>
    public DateTimeOffset Timestamp => FlowTime.ToDateTimeOffset(TimestampMicroseconds);

    /// <summary>Gets the destination port as the detection sees it: 0 when absent (CIM's <c>if(isnum(dest_port), dest_port, 0)</c>).</summary>
    public int EffectiveDestinationPort => DestinationPort.GetValueOrDefault();
}
