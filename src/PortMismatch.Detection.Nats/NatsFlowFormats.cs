namespace PortMismatch.Detection.Nats;

/// <summary>
/// The names a flow stream uses (docs/SCALE-OUT.md): the formats, as the last token of a subject
/// <c>flows.&lt;partition&gt;.&lt;format&gt;</c> or the value of <see cref="FormatHeader"/>, and the headers a shipper may set.
/// </summary>
public static class NatsFlowFormats
{
    /// <summary>One Zeek conn.log line in Zeek's JSON (NDJSON) form per message.</summary>
    public const string ZeekJson = "zeek-json";

    /// <summary>One Suricata EVE JSON line per message.</summary>
    public const string Suricata = "suricata";

    /// <summary>One PAN-OS TRAFFIC syslog line per message.</summary>
    public const string PanOs = "panos";

    /// <summary>One IPFIX or NetFlow v9 message per message.</summary>
    public const string Ipfix = "ipfix";

    /// <summary>The header that names a message's format; it wins over the subject's last token.</summary>
    public const string FormatHeader = "PortMismatch-Format";

    /// <summary>The header that carries an IPFIX message's exporter address (which scopes its templates).</summary>
    public const string ExporterHeader = "PortMismatch-Exporter";

    /// <summary>The formats, for messages that name them.</summary>
    internal const string List = "zeek-json, suricata, panos, ipfix";
}
