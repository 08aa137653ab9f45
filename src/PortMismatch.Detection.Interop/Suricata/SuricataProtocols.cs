using System.Collections.Frozen;

namespace PortMismatch.Detection.Interop.Suricata;

/// <summary>
/// The app names of the rule sets (Zeek services, CIM / PAN-OS App-IDs, nDPI names, Suricata's own) mapped to Suricata's
/// app-layer protocol names, the values of <c>app-layer-protocol</c> and of EVE's <c>app_proto</c>. An app not listed has no
/// Suricata parser that names it, and its rule part is an omission of the export. The README's Suricata section has the
/// same table with its sources.
/// </summary>
internal static class SuricataProtocols
{
    private static readonly FrozenDictionary<string, string> ByApp = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // Suricata's own names (suricata.yaml app-layer.protocols; EVE app_proto), each mapped to itself.
        ["dns"] = "dns", ["http1"] = "http1", ["http2"] = "http2", ["tls"] = "tls", ["smtp"] = "smtp", ["ssh"] = "ssh",
        ["ftp"] = "ftp", ["ftp-data"] = "ftp-data", ["imap"] = "imap", ["pop3"] = "pop3", ["smb"] = "smb", ["dcerpc"] = "dcerpc",
        ["nfs"] = "nfs", ["tftp"] = "tftp", ["krb5"] = "krb5", ["ntp"] = "ntp", ["snmp"] = "snmp", ["dhcp"] = "dhcp",
        ["sip"] = "sip", ["rdp"] = "rdp", ["telnet"] = "telnet", ["ldap"] = "ldap", ["pgsql"] = "pgsql", ["quic"] = "quic",
        ["mqtt"] = "mqtt", ["rfb"] = "rfb", ["ike"] = "ike", ["mdns"] = "mdns", ["bittorrent-dht"] = "bittorrent-dht",
        ["modbus"] = "modbus", ["dnp3"] = "dnp3", ["enip"] = "enip", ["websocket"] = "websocket", ["doh2"] = "doh2",

        // HTTP/1: Zeek and CIM http, PAN-OS web-browsing and http-proxy, nDPI HTTP_Proxy and HTTP_Connect (a CONNECT
        // request is HTTP/1). Suricata's "http" matches HTTP/1 and HTTP/2 alike; "http1" is HTTP/1 only, as these names are.
        ["http"] = "http1", ["web-browsing"] = "http1", ["http-proxy"] = "http1", ["http_proxy"] = "http1", ["http_connect"] = "http1",

        // TLS: Zeek ssl (SSL and TLS), CIM / PAN-OS ssl.
        ["ssl"] = "tls",

        // PAN-OS "-base" App-IDs and nDPI spellings of the same protocols.
        ["dns-base"] = "dns", ["smtp-base"] = "smtp", ["ftp_control"] = "ftp", ["ntp-base"] = "ntp",
        ["ms-ds-smb"] = "smb", ["ms-ds-smb-base"] = "smb", ["smbv1"] = "smb", ["smbv23"] = "smb",
        ["krb"] = "krb5", ["krb_tcp"] = "krb5", ["kerberos"] = "krb5",
        ["snmp-base"] = "snmp", ["snmpv1"] = "snmp", ["snmpv2"] = "snmp", ["snmpv3"] = "snmp", ["snmp-trap"] = "snmp",
        ["ms-rdp"] = "rdp", ["ldap_tcp"] = "ldap", ["ldap_udp"] = "ldap", ["postgresql"] = "pgsql", ["postgres"] = "pgsql",
        ["vnc"] = "rfb", ["msrpc"] = "dcerpc", ["dce_rpc"] = "dcerpc", ["ipsec-ike"] = "ike",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Gets Suricata's protocol name for an app name (ASCII case ignored, as the rules match), or null when Suricata has none.</summary>
    public static string? Map(string app)
    {
        foreach (var c in app)
        {
            if (c > 0x7f)
            {
                return null; // every name above is ASCII; a non-ASCII name equals none of them ignoring ASCII case
            }
        }

        return ByApp.TryGetValue(app.ToLowerInvariant(), out var name) ? name : null;
    }

    /// <summary>Gets the table, for the documentation test.</summary>
    internal static IEnumerable<KeyValuePair<string, string>> All => ByApp;
}
