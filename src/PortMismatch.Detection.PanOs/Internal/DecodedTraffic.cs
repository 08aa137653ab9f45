namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>One accepted TRAFFIC log: the flow record plus what PAN-OS adds. Spans point into the frame or the decoder's scratch.</summary>
internal ref struct DecodedTraffic
{
    public FlowRecord Flow;
    public PanOsTrafficSubtype Subtype;
    public ReadOnlySpan<byte> SubtypeText;
    public long? SessionId;
    public ReadOnlySpan<byte> HostName;
    public ReadOnlySpan<byte> SyslogTimestamp;
    public long LineNumber;
    public long ByteOffset;
}
