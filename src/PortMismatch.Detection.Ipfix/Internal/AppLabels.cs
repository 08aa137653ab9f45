namespace PortMismatch.Detection.Ipfix.Internal;

/// <summary>
/// YAF <c>appLabel</c> (CERT PEN 6871, IE 33): the label is the well-known port of the protocol YAF's DPI recognised.
/// The names are the ones CIM and the ESCU rules use (<c>ssl</c> for TLS).
/// </summary>
internal static class AppLabels
{
    public static ReadOnlySpan<byte> NameOf(ulong label) => label switch
    {
        21 => "ftp"u8,
        22 => "ssh"u8,
        23 => "telnet"u8,
        25 => "smtp"u8,
        53 => "dns"u8,
        69 => "tftp"u8,
        80 => "http"u8,
        110 => "pop3"u8,
        119 => "nntp"u8,
        137 => "netbios"u8,
        143 => "imap"u8,
        161 => "snmp"u8,
        194 => "irc"u8,
        389 => "ldap"u8,
        443 => "ssl"u8,
        554 => "rtsp"u8,
        1723 => "pptp"u8,
        3306 => "mysql"u8,
        5060 => "sip"u8,
        5222 => "jabber"u8,
        _ => default,
    };
}
