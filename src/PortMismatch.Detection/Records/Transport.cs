namespace PortMismatch.Detection;

/// <summary>The transport protocol of a flow, as far as the detection needs it.</summary>
public enum Transport : byte
{
    /// <summary>The source did not say (or said something this library does not know).</summary>
    Unknown = 0,

    /// <summary>TCP (IP protocol 6).</summary>
    Tcp = 1,

    /// <summary>UDP (IP protocol 17).</summary>
    Udp = 2,

    /// <summary>Any other IP protocol: ICMP, SCTP, GRE, ...</summary>
    Other = 3,
}
