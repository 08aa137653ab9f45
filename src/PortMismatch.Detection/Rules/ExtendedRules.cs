using System.Collections.Immutable;

namespace PortMismatch.Detection;

/// <summary>
/// The <c>extended</c> rule set: transport-aware rules for common protocols, each with the source of its ports. Every rule
/// lists the app names the sources use for its protocol (the alias table is the data itself): Zeek services, PAN-OS App-IDs,
/// nDPI protocol names (as nProbe and pmacct export them), the names the IPFIX adapter gives YAF labels and Suricata's
/// app-layer names (<c>app_proto</c>: most are the Zeek names; <c>krb5</c>, <c>pgsql</c>, <c>http1</c>, <c>http2</c> are listed). Matching ignores
/// ASCII case, so a vendor spelling that differs only in case (nDPI's <c>DNS</c>, <c>HTTP</c>) needs no entry of its own.
/// For the ESCU protocols every expected-port set contains ESCU's, so on those app names the set flags a subset of what
/// ESCU flags (docs/rules/escu-vs-extended.md). Two rules say what they may be an upgrade of or carried inside
/// (<see cref="DetectionRule.UpgradeOf"/>): TLS after STARTTLS, CONNECT or a protocol's own TLS negotiation, and Kerberos inside
/// LDAP and SMB authentication, so that Zeek's <c>smtp,ssl</c> on 25 is no finding while <c>smtp,ssl</c> on 4444 is.
/// </summary>
internal static class ExtendedRules
{
    // Risk score = impact x confidence / 100, as ESCU computes it; see docs/rules/escu-vs-extended.md for the choices.
    private const int Low = 16;       // 40 x 40: protocols that legitimately move around (QUIC, SIP, local discovery)
    private const int Escu = 25;      // 50 x 50: ESCU's own score, kept for the ESCU protocols
    private const int Medium = 36;    // 60 x 60: cleartext services an attacker can tunnel through or reach on odd ports
    private const int High = 49;      // 70 x 70: remote access and authentication off their port
    private const int Severe = 64;    // 80 x 80: file sharing and DNS used as channels (tunnelling, exfiltration)

    private const string NonStandardPort = "T1571";

    public static RuleSet Create() => new(
    [
        // DNS. Zeek labels mDNS (udp/5353), LLMNR (udp/5355) and NetBIOS-NS (udp/137) as "dns": they are expected ports of
        // "dns" on udp here, and separate rules below cover the vendors that name them apart.
        Rule("ext-dns-udp", "DNS over UDP off 53, 5353 (mDNS), 5355 (LLMNR), 137 (NetBIOS-NS)", Transport.Udp,
            ["dns", "dns-base"], "53, 137, 5353, 5355", Severe, ["T1071.004", "T1048.003", NonStandardPort],
            "IANA domain 53/udp (RFC 1035); Zeek labels mDNS 5353 (RFC 6762), LLMNR 5355 (RFC 4795) and NetBIOS-NS 137 (RFC 1002) as dns"),
        Rule("ext-dns-tcp", "DNS over TCP off 53, 5355 (LLMNR)", Transport.Tcp,
            ["dns", "dns-base"], "53, 5355", Severe, ["T1071.004", "T1048.003", NonStandardPort],
            "IANA domain 53/tcp (RFC 1035, RFC 7766); LLMNR 5355/tcp (RFC 4795)"),
        Rule("ext-mdns", "mDNS off 5353", Transport.Udp, ["mdns"], "5353", Low, ["T1071.004", NonStandardPort],
            "IANA mdns 5353/udp (RFC 6762); PAN-OS App-ID mdns, nDPI MDNS"),
        Rule("ext-llmnr", "LLMNR off 5355", null, ["llmnr"], "5355", Low, ["T1071.004", NonStandardPort],
            "IANA llmnr 5355/tcp+udp (RFC 4795); PAN-OS App-ID llmnr, nDPI LLMNR"),
        Rule("ext-netbios-ns", "NetBIOS name service off 137", Transport.Udp, ["netbios-ns", "netbios"], "137", Low, [NonStandardPort],
            "IANA netbios-ns 137/udp (RFC 1002); PAN-OS App-ID netbios-ns, nDPI NetBIOS, YAF label 137 (netbios)"),
        Rule("ext-dot", "DNS over TLS or QUIC off 853", null, ["dns-over-tls"], "853", Medium, ["T1071.004", "T1572", NonStandardPort],
            "IANA domain-s 853/tcp (DoT, RFC 7858) and 853/udp (DoQ, RFC 9250); PAN-OS App-ID dns-over-tls"),

        // Web. Zeek's HTTP analyzer registers 80, 81, 631, 1080, 3128, 8000, 8080, 8888; 8008 is IANA's http-alt.
        Rule("ext-http", "HTTP off 80, 8080, 8000 and the documented proxy and alternate ports", Transport.Tcp,
            ["http", "web-browsing", "http-proxy", "http_proxy", "http_connect", "http1", "http2"], "80, 81, 631, 1080, 3128, 8000, 8008, 8080, 8888", Escu,
            ["T1071.001", "T1048.003", NonStandardPort],
            "RFC 9110 (80); IANA http-alt 8008, 8080; ESCU 8000; Zeek HTTP analyzer ports 81, 631, 1080, 3128, 8888 (proxies); PAN-OS web-browsing, http-proxy; nDPI HTTP, HTTP_Proxy, HTTP_Connect; Suricata http, http1, http2 (cleartext h2c)"),
        Rule("ext-tls", "TLS off 443, 8443 and the implicit-TLS ports", Transport.Tcp,
            ["ssl", "tls"], "443, 465, 563, 585, 614, 636, 853, 989-995, 3269, 5061, 5223, 6697, 8443", Escu,
            ["T1573.002", "T1071.001", "T1048.002", NonStandardPort],
            "RFC 8446 / IANA https 443; ESCU 8443; implicit TLS: submissions 465 (RFC 8314), nntps 563, ldaps 636, domain-s 853 (RFC 7858), ftps 989-990, telnets 992, imaps 993 (RFC 8314), ircs 994, pop3s 995 (RFC 8314), LDAPS global catalog 3269, sips 5061 (RFC 3261), XMPP legacy TLS 5223, ircs-u 6697 (RFC 7194); Zeek SSL analyzer ports 585, 614",
            // TLS that a protocol negotiated on its own port: STARTTLS (SMTP RFC 3207, IMAP/POP3 RFC 2595, FTP AUTH TLS RFC 4217,
            // XMPP RFC 6120, LDAP StartTLS RFC 4511), PostgreSQL's SSLRequest, MySQL's CLIENT_SSL, TLS in an HTTP CONNECT
            // tunnel (RFC 9110 9.3.6) or an HTTP Upgrade (RFC 2817), RDP's enhanced security ([MS-RDPBCGR] 5.4.5).
            upgradeOf: ["smtp", "imap", "pop3", "ftp", "xmpp", "ldap", "ldap_tcp", "postgresql", "pgsql", "mysql", "http", "http1", "rdp"]),
        Rule("ext-quic", "QUIC off 443", Transport.Udp, ["quic"], "80, 443", Low, [NonStandardPort],
            "RFC 9000 / RFC 9114 (h3 on 443/udp); PAN-OS App-ID quic default udp/80,443; Zeek QUIC analyzer 443/udp"),

        // Mail.
        Rule("ext-smtp", "SMTP off 25, 465, 587", Transport.Tcp, ["smtp", "smtp-base", "smtps"], "25, 465, 587", Escu,
            ["T1071.003", "T1048.003", NonStandardPort],
            "RFC 5321 (25), RFC 6409 submission 587, RFC 8314 submissions 465; PAN-OS smtp/smtp-base; nDPI SMTP, SMTPS"),
        Rule("ext-imap", "IMAP off 143, 993", Transport.Tcp, ["imap", "imaps"], "143, 993", Escu, ["T1071.003", NonStandardPort],
            "RFC 9051 (143), RFC 8314 imaps 993; nDPI IMAP, IMAPS"),
        Rule("ext-pop3", "POP3 off 110, 995", Transport.Tcp, ["pop3", "pops"], "110, 995", Escu, ["T1071.003", NonStandardPort],
            "RFC 1939 (110), RFC 8314 pop3s 995; nDPI POP3, POPS"),

        // Remote access and file transfer.
        Rule("ext-ssh", "SSH off 22", Transport.Tcp, ["ssh"], "22", High, ["T1021.004", "T1572", NonStandardPort],
            "IANA ssh 22/tcp (RFC 4253); Zeek ssh, PAN-OS ssh, nDPI SSH, YAF label 22"),
        Rule("ext-rdp", "RDP off 3389", null, ["rdp", "ms-rdp", "rdpeudp"], "3389", High, ["T1021.001", NonStandardPort],
            "IANA ms-wbt-server 3389/tcp+udp ([MS-RDPBCGR], [MS-RDPEUDP]); Zeek rdp, rdpeudp; PAN-OS ms-rdp; nDPI RDP"),
        Rule("ext-telnet", "Telnet off 23", Transport.Tcp, ["telnet"], "23", High, ["T1021", NonStandardPort],
            "IANA telnet 23/tcp (RFC 854); PAN-OS telnet, nDPI Telnet, YAF label 23"),
        Rule("ext-ftp", "FTP control off 21, 2811 (GridFTP)", Transport.Tcp, ["ftp", "ftp_control"], "21, 2811", Medium, ["T1071.002", "T1048.003", NonStandardPort],
            "IANA ftp 21/tcp (RFC 959), gsiftp 2811/tcp (GridFTP); Zeek FTP analyzer ports 21, 2811; Zeek ftp, PAN-OS ftp, nDPI FTP_CONTROL, YAF label 21"),
        Rule("ext-smb", "SMB off 445, 139", Transport.Tcp, ["smb", "ms-ds-smb", "ms-ds-smb-base", "netbios-ss", "smbv1", "smbv23"], "139, 445", Severe,
            ["T1021.002", "T1048", NonStandardPort],
            "IANA microsoft-ds 445/tcp ([MS-SMB2] direct TCP), netbios-ssn 139/tcp (RFC 1002); Zeek SMB analyzer 139, 445; PAN-OS ms-ds-smb, netbios-ss; nDPI SMBv1, SMBv23"),

        // Infrastructure.
        Rule("ext-ntp", "NTP off 123", Transport.Udp, ["ntp", "ntp-base"], "123", Escu, ["T1048.003", NonStandardPort],
            "IANA ntp 123/udp (RFC 5905); Zeek ntp, PAN-OS ntp, nDPI NTP"),
        Rule("ext-snmp", "SNMP off 161, 162", Transport.Udp, ["snmp", "snmp-base", "snmpv1", "snmpv2", "snmpv3", "snmp-trap"], "161, 162", Medium,
            ["T1602.001", NonStandardPort],
            "IANA snmp 161/udp, snmptrap 162/udp (RFC 3417); Zeek snmp, PAN-OS snmp*, nDPI SNMP, YAF label 161"),
        Rule("ext-ldap-tcp", "LDAP over TCP off 389, 636, 3268, 3269", Transport.Tcp, ["ldap", "ldap_tcp", "ldap_udp"], "389, 636, 3268, 3269", Medium,
            ["T1087.002", NonStandardPort],
            "IANA ldap 389/tcp (RFC 4511), ldaps 636; Microsoft global catalog 3268/3269; Zeek ldap_tcp, PAN-OS ldap (default tcp/389,3268,3269,636), nDPI LDAP, YAF label 389"),
        Rule("ext-ldap-udp", "CLDAP off 389", Transport.Udp, ["ldap", "ldap_tcp", "ldap_udp"], "389, 3268", Medium, ["T1087.002", NonStandardPort],
            "IANA ldap 389/udp (CLDAP, RFC 1798); PAN-OS ldap default udp/389,3268; Zeek ldap_udp"),
        Rule("ext-kerberos", "Kerberos off 88, 464", null, ["krb", "krb_tcp", "kerberos", "krb5"], "88, 464", High, ["T1558", NonStandardPort],
            "IANA kerberos 88/tcp+udp (RFC 4120), kpasswd 464 (RFC 3244); Zeek krb, krb_tcp; PAN-OS kerberos; nDPI Kerberos; Suricata krb5",
            // Kerberos tickets carried inside another protocol's authentication (GSS-API / SPNEGO, RFC 4121, RFC 4178): an
            // LDAP SASL bind (RFC 4752), an SMB session setup ([MS-SMB2] 3.3.5.5); Zeek writes ldap_tcp,krb,gssapi.
            upgradeOf: ["ldap", "ldap_tcp", "smb"]),
        Rule("ext-sip-udp", "SIP over UDP off 5060", Transport.Udp, ["sip"], "5060", Low, [NonStandardPort],
            "IANA sip 5060/udp (RFC 3261); Zeek sip, PAN-OS sip, nDPI SIP, YAF label 5060"),
        Rule("ext-sip-tcp", "SIP over TCP off 5060, 5061", Transport.Tcp, ["sip"], "5060, 5061", Low, [NonStandardPort],
            "IANA sip 5060/tcp, sips 5061/tcp (RFC 3261)"),
        Rule("ext-irc", "IRC off 194, 6665-6669", Transport.Tcp, ["irc", "irc-base"], "194, 6665-6669", Severe, ["T1071", NonStandardPort],
            "IANA irc 194/tcp, ircu 6665-6669 (RFC 7194 notes 6667 as the de facto port); Zeek IRC analyzer 6666-6669; PAN-OS irc, nDPI IRC, YAF label 194"),

        // Messaging.
        Rule("ext-xmpp", "XMPP off 5222, 5269", Transport.Tcp, ["xmpp"], "5222, 5269", Medium, ["T1071", NonStandardPort],
            "IANA xmpp-client 5222/tcp, xmpp-server 5269/tcp (RFC 6120); Zeek XMPP analyzer ports 5222, 5269"),

        // Databases.
        Rule("ext-mysql", "MySQL off 3306", Transport.Tcp, ["mysql"], "3306", Medium, ["T1048", NonStandardPort],
            "IANA mysql 3306/tcp; Zeek mysql, PAN-OS mysql, nDPI MySQL, YAF label 3306"),
        Rule("ext-postgresql", "PostgreSQL off 5432", Transport.Tcp, ["postgresql", "postgres", "pgsql"], "5432", Medium, ["T1048", NonStandardPort],
            "IANA postgresql 5432/tcp; Zeek postgresql, PAN-OS postgres, nDPI PostgreSQL, Suricata pgsql"),
        Rule("ext-mssql", "Microsoft SQL Server (TDS) off 1433", Transport.Tcp, ["mssql-db", "mssql-tds"], "1433", Medium,
            ["T1048", NonStandardPort],
            "IANA ms-sql-s 1433/tcp ([MS-TDS]); PAN-OS mssql-db, nDPI MsSQL-TDS"),
    ]);

    private static DetectionRule Rule(
        string id, string name, Transport? transport, string[] apps, string ports, int risk, string[] techniques, string reference, string[]? upgradeOf = null)
        => new(id, name, apps, PortSet.Parse(ports))
        {
            UpgradeOf = [.. upgradeOf ?? []],
            Transport = transport,
            Description = "The application protocol does not match the destination port: a sign of firewall evasion, tunnelling or exfiltration, or of a service moved off its port.",
            Reference = reference,
            RiskScore = risk,
            Techniques = [.. techniques],
        };
}
