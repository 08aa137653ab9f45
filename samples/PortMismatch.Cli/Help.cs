using System.Text;

namespace PortMismatch.Cli;

/// <summary>
/// The help texts: an overview of the commands, and each command's usage, options (from <see cref="CommandLine.Options"/>)
/// and examples on the bundled sample data (samples/data, from the repository's root).
/// </summary>
internal static class Help
{
    public const string Overview = """
        portmismatch: find traffic that speaks one protocol on another protocol's port (Splunk ESCU "Protocol or Port Mismatch").

        Usage:
          portmismatch scan [options] <path>... | -    read files, folders (recursively), .gz, or standard input
          portmismatch listen --ipfix <addr:port> [--syslog-udp <addr:port>] --window <duration> [options]
                                                       collect IPFIX / NetFlow v9 and PAN-OS syslog (UDP, TCP, TLS),
                                                       write rows as windows close
          portmismatch follow <dir> [--window <duration>] [--bookmark <file>] [options]
                                                       follow the conn.log Zeek is writing in a folder, through
                                                       its rotations; resume where the last run stopped
          portmismatch worker --nats <url>[,<url>...] --window <duration> [options]
                                                       one of any number of workers that share a NATS JetStream
                                                       stream of flow logs; exact final rows through crashes
          portmismatch rules [--rules <set>] [--export <format>]
                                                       print the active rules, or write them as a rule file or
                                                       for Splunk, Sentinel, Sigma, Suricata or Zeek
          portmismatch publish --nats <url> [--stream FLOWS] [--partitions 8] <file>...
                                                       load files into a NATS JetStream flow stream, one record a message
          portmismatch help <command>                  a command's options and examples (or: portmismatch <command> --help)
          portmismatch --version                       the version

        Exit codes: 0 success, 1 rows found with --fail-on-findings, 2 usage error, a failed input or a failed output.
        """;

    private const string Scan = """
        portmismatch scan: read Zeek conn.log (TSV or JSON), Suricata eve.json (flow and netflow events), PAN-OS TRAFFIC
        logs, IPFIX / NetFlow v9 exports and pcap captures of them, from files, folders (recursively), .gz files or
        standard input (-), and write one row per src_ip, dest_ip, app, dest_port that speaks an app on a port its rule
        does not expect.

        Usage: portmismatch scan [options] [--] <path>... | -

        Each input's format is detected from its first bytes unless --format says it. Rows go to standard output (or --out);
        progress, the first ten rejected records of each input and a summary go to standard error. -- ends the options
        (portmismatch scan -- -odd-name.log).
        """;

    private const string ScanExamples = """
        Examples:
          portmismatch scan samples/data
          portmismatch scan --out findings.csv --rules escu,extended samples/data/conn.log
          zeek-cut ts id.orig_h id.orig_p id.resp_h id.resp_p service < samples/data/conn.log \
            | portmismatch scan --fields ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,service -
          portmismatch scan --format panos --input-time-zone Europe/Berlin --window 1h samples/data/panos-traffic.log
        """;

    private const string Listen = """
        portmismatch listen: collect IPFIX / NetFlow v9 over UDP (--ipfix) and PAN-OS syslog over UDP (--syslog-udp), TCP
        (--syslog-tcp) or TLS (--syslog-tls with --cert and --key), and write rows as tumbling windows close (--window is
        required). Ctrl-C or SIGTERM writes the open windows' rows and exits.

        Usage: portmismatch listen (--ipfix | --syslog-udp | --syslog-tcp | --syslog-tls <addr:port>)... --window <duration> [options]
        """;

    private const string ListenExamples = """
        Examples:
          portmismatch listen --ipfix 0.0.0.0:4739 --window 5m
          portmismatch listen --ipfix 0.0.0.0:4739 --syslog-udp 0.0.0.0:514 --window 5m --out rows.jsonl
          portmismatch listen --syslog-udp [::]:514 --input-time-zone Europe/Berlin --window 1h --lateness 5m
          portmismatch listen --syslog-tcp 0.0.0.0:514 --syslog-tls 0.0.0.0:6514 --cert syslog.crt --key syslog.key --window 5m
        """;

    private const string Follow = """
        portmismatch follow: read the conn.log that Zeek is writing in a folder (TSV or JSON), as tail -F does, and write
        rows as tumbling windows close (--window) or, without --window, one aggregate when it stops. Whole lines only (a
        line being written waits for its line feed); when Zeek rotates conn.log (a rename, zeekctl's gzipped archive in a
        dated folder), the old file is finished and the new one read from its start: nothing lost, nothing read twice.
        With --bookmark, a restart resumes after the last record the last run read, in the rotated file if conn.log was
        rotated meanwhile; no record is read twice, also after a kill (a kill loses the rows of the open windows; Ctrl-C
        or SIGTERM writes them and exits).

        Usage: portmismatch follow [options] <dir>
        """;

    private const string FollowExamples = """
        Examples:
          portmismatch follow /opt/zeek/spool/zeek --window 5m --bookmark /var/lib/portmismatch/conn.bookmark.json
          portmismatch follow /opt/zeek/logs/current --window 1h --rules escu,extended --out rows.jsonl
          portmismatch follow . --bookmark conn.bookmark.json --stats run.json
        """;

    private const string Rules = """
        portmismatch rules: print the rules a scan or listen with the same --rules would use: id, apps, expected ports,
        transport, risk score and ATT&CK techniques; or export them: as a rule file (json), or with their exemptions
        and an allow-list as a Splunk search (spl), a Microsoft Sentinel query (kql), Sigma rules, Suricata rules or a
        Zeek script. What an engine cannot express is left out and named on standard error.

        Usage: portmismatch rules [--rules <set>[,<set>...]] [--export json|spl|kql|sigma|suricata|zeek [--allow <list>] [--out <file>]]
        """;

    private const string RulesExamples = """
        Examples:
          portmismatch rules
          portmismatch rules --rules escu,extended
          portmismatch rules --rules extended --export json --out my-rules.json
          portmismatch rules --export spl --allow benign --out protocol_or_port_mismatch.spl
          portmismatch rules --rules extended --export suricata --out portmismatch.rules
        """;

    private const string Publish = """
        portmismatch publish: load files into a NATS JetStream flow stream, for tests, demos and migrations (shippers such
        as Vector, Fluent Bit or Zeek's NATS writer publish live logs the same way). Each record-bearing unit of a file
        (a Zeek JSON line, a Suricata EVE line, a PAN-OS syslog line, an IPFIX message; plain or .gz) is one message on
        flows.<partition>.<format>, every unit of a file on one partition (a hash of its full path mod --partitions), with
        Nats-Msg-Id <file identity>:<unit number>: run again after a failure, it adds nothing twice within the stream's
        duplicate window (10 minutes). The stream is made when missing. Zeek TSV, NetFlow v9 and captures are refused:
        they are not one record a line or message. --lines-per-message n puts n lines in a message (ids <file identity>:<first
        line>-<last line>), which the server and the workers read several times cheaper per record. Prints "published N
        messages to STREAM (P partitions)" on standard error.

        Usage: portmismatch publish --nats <url>[,<url>...] [--stream FLOWS] [--partitions 8] [--replicas 1] [--lines-per-message 1] <file>...
        """;

    private const string PublishExamples = """
        Examples:
          portmismatch publish --nats nats://127.0.0.1:4222 conn.json.gz eve.json
          portmismatch publish --nats nats://n1:4222,nats://n2:4222,nats://n3:4222 --replicas 3 --partitions 16 logs/*.json
        """;

    private const string Worker = """
        portmismatch worker: one worker of the scale-out on NATS JetStream. Workers on any number of machines share the
        partitions of the input stream (flows.<partition>.<format>: Zeek JSON, Suricata EVE, PAN-OS syslog, IPFIX) by leases,
        publish partial rows per window to the FINDINGS stream, and the one that holds the merger lease writes the final
        rows to findings.final (Nats-Msg-Id: the finding id). Every record is counted once in the final rows, also when a
        worker is killed or a server stops; the design and its limits: docs/SCALE-OUT.md.

        Usage: portmismatch worker --nats <url>[,<url>...] --window <duration> [options]

        Runs until Ctrl-C or SIGTERM, then commits what it read, gives its leases back and exits 0. While this worker is the
        merger, final rows also go to --out or standard output when --out or --output is given (default: findings.final only).
        """;

    private const string WorkerExamples = """
        Examples:
          portmismatch worker --nats nats://127.0.0.1:4222 --window 5m
          portmismatch worker --nats nats://n1:4222,nats://n2:4222,nats://n3:4222 --replicas 3 --window 1h --out final.jsonl
        """;

    /// <summary>The help of a command, or null for a name that is not one.</summary>
    public static string? For(string command) => command switch
    {
        "scan" => Compose(Scan, Commands.Scan, ScanExamples),
        "listen" => Compose(Listen, Commands.Listen, ListenExamples),
        "follow" => Compose(Follow, Commands.Follow, FollowExamples),
        "rules" => Compose(Rules, Commands.Rules, RulesExamples),
        "publish" => Compose(Publish, Commands.Publish, PublishExamples),
        "worker" => Compose(Worker, Commands.Worker, WorkerExamples),
        _ => null,
    };

    private static string Compose(string text, Commands command, string examples)
    {
        var help = new StringBuilder(text).Append("\n\nOptions:\n");
        foreach (var option in CommandLine.Options)
        {
            if ((option.Commands & command) == 0)
            {
                continue;
            }

            var name = (option.Alias is null ? string.Empty : option.Alias + ", ") + option.Name + (option.Value is null ? string.Empty : " " + option.Value);
            var lines = option.Help.Split('\n');
            help.Append("  ").Append(name.PadRight(34)).Append(' ').Append(lines[0]).Append('\n');
            foreach (var line in lines.AsSpan(1))
            {
                help.Append(' ', 37).Append(line).Append('\n');
            }
        }

        help.Append("  -h, --help").Append(' ', 25).Append("this help\n");
        return help.Append('\n').Append(examples).ToString();
    }
}
