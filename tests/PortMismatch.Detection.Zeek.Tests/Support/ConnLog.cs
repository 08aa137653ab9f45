using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Zeek.Tests.Support;

/// <summary>Writes Zeek conn.log text the way Zeek's ASCII writer does (hand-written fixtures are built with it).</summary>
public static class ConnLog
{
    public static readonly string[] Zeek6Fields =
    [
        "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "duration", "orig_bytes",
        "resp_bytes", "conn_state", "local_orig", "local_resp", "missed_bytes", "history", "orig_pkts", "orig_ip_bytes",
        "resp_pkts", "resp_ip_bytes", "tunnel_parents",
    ];

    public static string Header(IReadOnlyList<string>? fields = null, string path = "conn", char separator = '\t', string setSeparator = ",")
    {
        fields ??= Zeek6Fields;
        var s = separator.ToString();
        var escaped = $"\\x{(int)separator:x2}";
        return $"#separator {escaped}\n#set_separator{s}{setSeparator}\n#empty_field{s}(empty)\n#unset_field{s}-\n#path{s}{path}\n#open{s}2026-11-26-13-00-00\n"
            + $"#fields{s}{string.Join(s, fields)}\n#types{s}{string.Join(s, fields.Select(_ => "string"))}\n";
    }

    public const string Close = "#close\t2026-11-26-14-00-00\n";

    /// <summary>A Zeek 6 conn line: the given core values, plausible others.</summary>
    public static string Line(string ts, string origH, string origP, string respH, string respP, string proto, string service,
        string origBytes = "100", string respBytes = "200", string origPkts = "3", string respPkts = "4")
        => string.Join('\t', ts, "CHhAvVGS1DHFjwGM9", origH, origP, respH, respP, proto, service, "1.000000", origBytes, respBytes,
            "SF", "T", "F", "0", "ShADadFf", origPkts, "300", respPkts, "400", "(empty)") + "\n";

    /// <summary>A deterministic mix of TSV lines (realistic shapes incl. IPv6, unset service, multi-valued, mismatches).</summary>
    public static string GenerateTsv(int rows, int seed)
    {
        var text = new StringBuilder(Header());
        foreach (var r in GenerateRecords(rows, seed))
        {
            text.Append(Line(r.Ts, r.OrigH, r.OrigP.ToString(CultureInfo.InvariantCulture), r.RespH, r.RespP.ToString(CultureInfo.InvariantCulture), r.Proto, r.Service ?? "-",
                r.OrigBytes, r.RespBytes));
        }

        return text.Append(Close).ToString();
    }

    /// <summary>The same records as Zeek's JSON writer writes them (unset fields omitted).</summary>
    public static string GenerateJson(int rows, int seed)
    {
        var text = new StringBuilder();
        foreach (var r in GenerateRecords(rows, seed))
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"ts\":{r.Ts},\"uid\":\"CHhAvVGS1DHFjwGM9\",\"id.orig_h\":\"{r.OrigH}\",\"id.orig_p\":{r.OrigP},\"id.resp_h\":\"{r.RespH}\",\"id.resp_p\":{r.RespP},\"proto\":\"{r.Proto}\"");
            if (r.Service is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $",\"service\":\"{r.Service}\"");
            }

            text.Append(CultureInfo.InvariantCulture, $",\"duration\":1.5,\"orig_bytes\":{r.OrigBytes},\"resp_bytes\":{r.RespBytes},\"conn_state\":\"SF\",\"local_orig\":true,\"local_resp\":false,\"missed_bytes\":0,\"history\":\"ShADadFf\",\"orig_pkts\":3,\"orig_ip_bytes\":300,\"resp_pkts\":4,\"resp_ip_bytes\":400}}\n");
        }

        return text.ToString();
    }

    public sealed record Generated(string Ts, string OrigH, int OrigP, string RespH, int RespP, string Proto, string? Service, string OrigBytes, string RespBytes);

    public static IEnumerable<Generated> GenerateRecords(int rows, int seed)
    {
        (string? Service, int Port, string Proto)[] shapes =
        [
            ("dns", 53, "udp"), ("ssl", 443, "tcp"), ("http", 80, "tcp"), (null, 22, "tcp"), ("quic,ssl", 443, "udp"),
            ("dns", 5353, "udp"), ("http", 8081, "tcp"), ("ssl", 993, "tcp"), ("smtp,ssl", 25, "tcp"), ("ssh", 22, "tcp"),
            ("gssapi,smb,krb", 445, "tcp"), (null, 0, "icmp"), ("ftp-data", 20, "tcp"), ("ntp", 123, "udp"),
        ];
        var random = new Random(seed);
        for (var i = 0; i < rows; i++)
        {
            var (service, port, proto) = shapes[random.Next(shapes.Length)];
            var v6 = random.Next(8) == 0;
            var origH = v6 ? $"2001:db8:10::{random.Next(1, 0xffff):x}" : $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}";
            var respH = v6 ? $"2001:db8:ff::{random.Next(1, 0xffff):x}" : $"192.0.2.{random.Next(1, 255)}";
            var seconds = 1_700_000_000 + random.Next(86_400);
            var micros = random.Next(1_000_000);
            yield return new Generated(
                string.Create(CultureInfo.InvariantCulture, $"{seconds}.{micros:D6}"),
                origH,
                random.Next(1024, 65536),
                respH,
                port,
                proto,
                service,
                random.Next(100_000).ToString(CultureInfo.InvariantCulture),
                random.Next(1_000_000).ToString(CultureInfo.InvariantCulture));
        }
    }
}
