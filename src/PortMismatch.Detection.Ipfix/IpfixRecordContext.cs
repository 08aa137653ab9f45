namespace PortMismatch.Detection.Ipfix;

/// <summary>Where the record being delivered came from; read it from <see cref="IpfixDecoder.Current"/> during a sink call. Made by the decoder only.</summary>
public readonly record struct IpfixRecordContext
{
    /// <summary>Gets the export protocol version: 10 (IPFIX) or 9 (NetFlow v9).</summary>
    public int Version { get; internal init; }

    /// <summary>Gets the exporter's address (<see cref="IPAddressValue.None"/> for files without one).</summary>
    public IPAddressValue Exporter { get; internal init; }

    /// <summary>Gets the observation domain id (IPFIX) or source id (v9).</summary>
    public uint ObservationDomainId { get; internal init; }

    /// <summary>Gets the id of the template that described the record.</summary>
    public int TemplateId { get; internal init; }

    /// <summary>Gets the direction the decoder assigned to the record.</summary>
    public FlowDirection Direction { get; internal init; }

    /// <summary>Gets the offset of the record from the start of the input, in octets.</summary>
    public long ByteOffset { get; internal init; }
}
