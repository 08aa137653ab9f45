namespace PortMismatch.Detection.Ipfix.Internal;

/// <summary>What the decoder does with a template field. Fields without a role are skipped by length.</summary>
internal enum FieldRole : byte
{
    None = 0,
    SourceIPv4,
    DestinationIPv4,
    SourceIPv6,
    DestinationIPv6,
    SourcePort,
    DestinationPort,
    Protocol,
    StartSeconds,
    StartMilliseconds,
    StartMicroseconds,
    StartNanoseconds,
    StartSysUpTime,
    SystemInitTimeMilliseconds,
    StartDeltaMicroseconds,
    EndSeconds,
    EndMilliseconds,
    EndMicroseconds,
    EndNanoseconds,
    EndSysUpTime,
    ObservationSeconds,
    ObservationMilliseconds,
    ObservationMicroseconds,
    ObservationNanoseconds,
    Bytes,
    Packets,
    ApplicationName,
    ApplicationId,
    YafAppLabel,
    NprobeL7Protocol,
    NprobeL7ProtocolName,
    PanOsAppId,
    VendorApplicationName,
    BiflowDirection,
    InitialTcpFlags,
    Count,
}

/// <summary>Maps (enterprise number, element id) to a role: IANA IPFIX registry, NetFlow v9 vendor types, and the PENs we read.</summary>
internal static class InformationElements
{
    public const uint ReversePen = 29305; // RFC 5103 reverse (biflow) elements: skipped by length
    public const uint CertPen = 6871; // YAF (CERT NetSA)
    public const uint NtopPen = 35632; // nProbe
    public const uint ProceraPen = 15397; // Procera PacketLogic: proceraService (1)
    public const uint IxiaPen = 3054; // Ixia ATI: ixiaL7AppName (111)

    public static FieldRole RoleOf(uint enterprise, ushort id) => enterprise switch
    {
        0 => id switch
        {
            1 or 85 => FieldRole.Bytes, // octetDeltaCount, octetTotalCount (v9 IN_BYTES)
            2 or 86 => FieldRole.Packets, // packetDeltaCount, packetTotalCount (v9 IN_PKTS)
            4 => FieldRole.Protocol,
            7 => FieldRole.SourcePort,
            8 => FieldRole.SourceIPv4,
            11 => FieldRole.DestinationPort,
            12 => FieldRole.DestinationIPv4,
            21 => FieldRole.EndSysUpTime, // flowEndSysUpTime (v9 LAST_SWITCHED)
            22 => FieldRole.StartSysUpTime, // flowStartSysUpTime (v9 FIRST_SWITCHED)
            27 => FieldRole.SourceIPv6,
            28 => FieldRole.DestinationIPv6,
            95 => FieldRole.ApplicationId,
            96 => FieldRole.ApplicationName,
            150 => FieldRole.StartSeconds,
            152 => FieldRole.StartMilliseconds,
            154 => FieldRole.StartMicroseconds,
            156 => FieldRole.StartNanoseconds,
            151 => FieldRole.EndSeconds,
            153 => FieldRole.EndMilliseconds,
            155 => FieldRole.EndMicroseconds,
            157 => FieldRole.EndNanoseconds,
            158 => FieldRole.StartDeltaMicroseconds,
            160 => FieldRole.SystemInitTimeMilliseconds,
            239 => FieldRole.BiflowDirection,
            322 => FieldRole.ObservationSeconds,
            323 => FieldRole.ObservationMilliseconds, // also Cisco ASA NSEL's event time
            324 => FieldRole.ObservationMicroseconds,
            325 => FieldRole.ObservationNanoseconds,
            56701 => FieldRole.PanOsAppId, // PAN-OS NetFlow v9 App-ID (32 octets, NUL-padded)
            57590 => FieldRole.NprobeL7Protocol, // nProbe v9: NTOP_BASE_ID 57472 + 118
            57591 => FieldRole.NprobeL7ProtocolName, // nProbe v9: 57472 + 119
            _ => FieldRole.None,
        },
        CertPen => id switch
        {
            33 => FieldRole.YafAppLabel,
            14 => FieldRole.InitialTcpFlags,
            _ => FieldRole.None,
        },
        NtopPen => id switch
        {
            118 => FieldRole.NprobeL7Protocol,
            119 => FieldRole.NprobeL7ProtocolName,
            _ => FieldRole.None,
        },
        ProceraPen when id == 1 => FieldRole.VendorApplicationName,
        IxiaPen when id == 111 => FieldRole.VendorApplicationName,
        _ => FieldRole.None,
    };
}
