using System.Globalization;
using System.Reflection;

namespace PortMismatch.Cli;

/// <summary>
/// Parses the command line and runs a command. Exit codes: 0 success, 1 findings with --fail-on-findings, 2 usage error,
/// a failed input (unreadable, or too many rejected records) or a failed output. Usage errors and their hint go to
/// standard error; asked-for help and the version go to standard output.
/// </summary>
internal static class CommandLine
{
    public const int Success = 0;
    public const int Findings = 1;
    public const int Failure = 2;

    /// <summary>
    /// The options, each with the commands it means something to; one given to another command is a usage error, so that
    /// an option never silently does nothing. To add one, add a line here (its help text is listed by <see cref="Help"/>).
    /// </summary>
    internal static readonly CommandOption[] Options =
    [
        new("--format", Commands.Scan, "<format>", "auto, zeek, zeek-json, suricata, panos, ipfix or pcap\n(default auto: detected from each input's first bytes)",
            static (o, v) => o.Format = v is "auto" or "zeek" or "zeek-json" or "suricata" or "panos" or "ipfix" or "pcap"
                ? v
                : throw new UsageException($"--format {v}: use auto, zeek, zeek-json, suricata, panos, ipfix or pcap.")),
        new("--fields", Commands.Scan, "<name,...>", "the columns of headerless Zeek TSV (zeek-cut output), in zeek-cut's names:\nts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,service; an input no format recognises is\nread as such TSV, an input with its own #fields header keeps it",
            static (o, v) => o.FieldNames = ParseFields(v)),
        new("--rules", Commands.Scan | Commands.Listen | Commands.Rules | Commands.Follow | Commands.Worker, "<set>[,<set>...]", "escu, extended, panos-appid or a rule file (.json), combined (default escu)",
            static (o, v) => o.Rules = v),
        new("--allow", Commands.Scan | Commands.Listen | Commands.Follow | Commands.Worker | Commands.Rules, "<list>[,<list>...]", "benign or an allow-list file (.json), combined: drop rows an entry matches\n(counted per entry); benign: mDNS, LLMNR, NetBIOS-NS as dns, Google and Apple push TLS, IPP;\nrules --export: the allow-list the export carries",
            static (o, v) => o.AllowList = v),
        new("--output", Commands.Scan | Commands.Listen | Commands.Follow | Commands.Worker, "table|csv|jsonl|ocsf|ecs", "output format (default: from the --out file's extension, .csv, .jsonl or .ndjson;\nelse table); --output wins over the extension;\nocsf: OCSF 1.8.0 Detection Findings, ecs: Elastic Common Schema 9.4 alerts, one a line",
            static (o, v) => o.Output = v switch
            {
                "table" => OutputFormat.Table,
                "csv" => OutputFormat.Csv,
                "jsonl" => OutputFormat.JsonLines,
                "ocsf" => OutputFormat.Ocsf,
                "ecs" => OutputFormat.Ecs,
                var other => throw new UsageException($"--output {other}: use table, csv, jsonl, ocsf or ecs."),
            }),
        new("--out", Commands.Scan | Commands.Listen | Commands.Rules | Commands.Follow | Commands.Worker, "<file>", "write rows (rules: the --export file) to a file instead of standard output",
            static (o, v) => o.OutputPath = v),
        new("--window", Commands.Scan | Commands.Listen | Commands.Follow | Commands.Worker, "<duration>", "tumbling windows (30s, 15m, 1h, 1d); scan's default is one aggregate",
            static (o, v) => o.Window = ParseDuration("--window", v)),
        new("--lateness", Commands.Scan | Commands.Listen | Commands.Follow | Commands.Worker, "<duration>", "with --window: how long a window waits for late records (default 0)",
            static (o, v) => o.Lateness = ParseDuration("--lateness", v)),
        new("--group", Commands.Scan | Commands.Listen | Commands.Follow, "mismatching|all", "group only mismatching app values (default) or all of a record",
            static (o, v) => o.Grouping = v switch
            {
                "mismatching" => AppGrouping.MismatchingValues,
                "all" => AppGrouping.AllValues,
                var other => throw new UsageException($"--group {other}: use mismatching or all."),
            }),
        new("--all-directions", Commands.Scan | Commands.Listen, null, "IPFIX and Suricata netflow: evaluate reply records too",
            static (o, _) => o.AllDirections = true),
        new("--input-time-zone", Commands.Scan | Commands.Listen, "<tz>", "PAN-OS: time zone of yyyy/MM/dd HH:mm:ss times (default UTC)",
            static (o, v) => o.InputTimeZone = ParseZone("--input-time-zone", v)),
        new("--time-zone", Commands.Scan | Commands.Listen | Commands.Follow, "<tz>", "time zone of firstTime / lastTime in the output (default UTC)",
            static (o, v) => o.OutputTimeZone = ParseZone("--time-zone", v)),
        new("--fail-on-findings", Commands.Scan | Commands.Listen | Commands.Follow, null, "exit with 1 when a row is written",
            static (o, _) => o.FailOnFindings = true),
        new("--max-rejected", Commands.Scan, "<ratio>", "fail an input (exit 2) when more than this share of its records is rejected:\n0.01 or 1% (default: only an input whose records were all rejected fails)",
            static (o, v) => o.MaxRejected = ParseRatio("--max-rejected", v)),
        new("--quiet", Commands.Scan | Commands.Listen | Commands.Follow, null, "no progress, no rejected-record lines and no summary on standard error",
            static (o, _) => o.Quiet = true, Alias: "-q"),
        new("--export", Commands.Rules, "json|spl|kql|sigma|suricata|zeek", "json: the active rules as a rule file (with $schema), to start a custom set from a built-in one;\nspl (Splunk), kql (Microsoft Sentinel), sigma, suricata or zeek: the rules with their exemptions\nand the --allow list for that engine; what it cannot express is named on standard error",
            static (o, v) => o.Export = v is "json" || RuleExport.TryParseFormat(v, out _) && v == v.Trim().ToLowerInvariant()
                ? v
                : throw new UsageException($"--export {v}: use json, spl, kql, sigma, suricata or zeek.")),
        new("--import", Commands.Rules, "<file>", "bring rules tuned elsewhere in as our JSON: a Splunk lookup of allowed app/port pairs (.csv),\na macros.conf with the protocol_or_port_mismatch_filter stanza (.conf) or a Zeek\nProtocolDetector::valids table (.zeek); written as an allow-list file (to --out or standard output)",
            static (o, v) => o.ImportPath = v.Length > 0 ? v : throw new UsageException("--import needs a file.")),
        new("--as", Commands.Rules, "allow|rules", "with --import: write an allow-list file (default) or, for a .csv lookup, a rule file\n(one rule per app and transport expecting the listed ports)",
            static (o, v) => o.ImportAsRules = v switch
            {
                "allow" => false,
                "rules" => true,
                var other => throw new UsageException($"--as {other}: use allow or rules."),
            }),
        new("--local-nets", Commands.Rules, "<cidr>[,<cidr>...]", "with --import of a Zeek valids table: Site::local_nets, to read its INCOMING and OUTGOING entries",
            static (o, v) => o.LocalNetworks = ParseNetworks("--local-nets", v)),
        new("--stats", Commands.Scan | Commands.Listen | Commands.Follow, "<file>", "write a run summary as JSON when the run ends, also when it fails or is interrupted\n(counters per input and in total, reasons, rows, allow-list, times, exit code)",
            static (o, v) => o.StatsPath = v),
        new("--evidence", Commands.Scan, null, "join Zeek's ssl/http/ssh/dns/dpd/analyzer logs next to a conn.log (same rotation suffix) by uid\n(the default when there are any): server names, user agents, Community IDs in jsonl, ocsf and ecs",
            static (o, _) => o.Evidence = true),
        new("--no-evidence", Commands.Scan, null, "do not join the companion logs (rows as without them)",
            static (o, _) => o.Evidence = false),
        new("--report", Commands.Scan, "<file.html>", "also write the run as one self-contained HTML page: counters, rules, a timeline\nper rule, top sources, destinations and app/port pairs, and every row (sortable)",
            static (o, v) => o.ReportPath = v),
        new("--ipfix", Commands.Listen, "<addr:port>", "collect IPFIX / NetFlow v9 over UDP (0.0.0.0:4739, [::]:4739)",
            static (o, v) => o.IpfixListen = ParseEndPoint("--ipfix", v)),
        new("--syslog-udp", Commands.Listen, "<addr:port>", "collect PAN-OS syslog over UDP, one message a datagram (0.0.0.0:514)",
            static (o, v) => o.SyslogListen = ParseEndPoint("--syslog-udp", v)),
        new("--syslog-tcp", Commands.Listen, "<addr:port>", "collect PAN-OS syslog over TCP, octet-counted or LF-framed (0.0.0.0:514)",
            static (o, v) => o.SyslogTcpListen = ParseEndPoint("--syslog-tcp", v)),
        new("--syslog-tls", Commands.Listen, "<addr:port>", "collect PAN-OS syslog over TLS (RFC 5425; 0.0.0.0:6514), with --cert and --key",
            static (o, v) => o.SyslogTlsListen = ParseEndPoint("--syslog-tls", v)),
        new("--cert", Commands.Listen, "<pem>", "with --syslog-tls: the server certificate, a PEM file (with its chain, if any)",
            static (o, v) => o.CertificatePath = v),
        new("--key", Commands.Listen, "<pem>", "with --syslog-tls: the certificate's private key, a PEM file (unencrypted)",
            static (o, v) => o.KeyPath = v),
        new("--idle-close", Commands.Listen | Commands.Follow | Commands.Worker, "<duration>", "close a window no record has reached for this long (default 1m);\nworker: a partition with nothing to read for this long reports itself idle (default 30s)",
            static (o, v) => o.IdleClose = ParseDuration("--idle-close", v)),
        new("--max-clock-skew", Commands.Listen, "<duration>", "reject records dated further ahead of the clock as time-in-future (default 5m)",
            static (o, v) => o.MaxClockSkew = ParseDuration("--max-clock-skew", v)),
        new("--hec-url", Commands.Scan | Commands.Listen | Commands.Follow, "<url>", "send rows to a Splunk HTTP Event Collector (https://splunk:8088) instead of writing them;\nthe token is read from the environment (--hec-token-env), never from the command line",
            static (o, v) => o.HecUrl = ParseHecUrl(v)),
        new("--hec-token-env", Commands.Scan | Commands.Listen | Commands.Follow, "<VAR>", "with --hec-url: the environment variable that holds the HEC token (default SPLUNK_HEC_TOKEN)",
            static (o, v) => o.HecTokenVariable = v.Length > 0 ? v : throw new UsageException("--hec-token-env needs the name of an environment variable.")),
        new("--bookmark", Commands.Follow, "<file>", "where to resume: a JSON file written as records are read (file identity, offset);\na restart reads no record twice, also after a kill",
            static (o, v) => o.BookmarkPath = v),

        // First seen (#23): a baseline store across runs
        new("--baseline", Commands.Scan, "<file>", "a first-seen store (made when missing): rows gain first_seen, new and days_seen\n(JSON Lines), and the store learns this run's rows; one process at a time",
            static (o, v) => o.BaselinePath = v.Length > 0 ? v : throw new UsageException("--baseline needs a file.")),
        new("--suppress-seen-days", Commands.Scan, "<n>", "with --baseline: drop rows whose pair (source, server, port, app) was seen on at least\nn earlier UTC days, by the records' time (counted as suppressed as baseline)",
            static (o, v) => o.SuppressSeenDays = int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
                ? n
                : throw new UsageException($"--suppress-seen-days {v}: use a whole number of at least 1.")),

        // NATS JetStream (#20): publish and worker
        new("--nats", Commands.Publish | Commands.Worker, "<url>[,<url>...]", "the NATS servers (nats://host:4222; any nodes of a cluster)",
            static (o, v) => o.NatsUrls = ParseNatsUrls(v)),
        new("--stream", Commands.Publish | Commands.Worker, "<name>", "the flow stream (default FLOWS, subjects flows.<partition>.<format>;\npublish makes it when missing)",
            static (o, v) => o.NatsStream = v.Length > 0 ? v : throw new UsageException("--stream needs a stream name.")),
        new("--findings", Commands.Worker, "<name>", "the stream of partial, progress and final rows (default FINDINGS, subjects findings.>),\nmade when missing",
            static (o, v) => o.FindingsStream = v.Length > 0 ? v : throw new UsageException("--findings needs a stream name.")),
        new("--partitions", Commands.Publish | Commands.Worker, "<n>", "the partitions P of the flow stream (default 8); every publisher and worker of a stream\nmust give the same (publish: each file goes to flows.<hash of its path mod P>.<format>)",
            static (o, v) => o.Partitions = int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1024
                ? n
                : throw new UsageException($"--partitions {v}: use a whole number from 1 to 1024.")),
        new("--lines-per-message", Commands.Publish, "<n>", "lines of a line format published as one message (default 1); more lines a message cost\nthe server and the workers less per record; a publish run again must give the same",
            static (o, v) => o.LinesPerMessage = int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 10_000
                ? n
                : throw new UsageException($"--lines-per-message {v}: use a whole number from 1 to 10000.")),
        new("--replicas", Commands.Publish | Commands.Worker, "<n>", "replicas of the streams and buckets a command makes (publish: FLOWS; worker: FINDINGS and\nthe lease and checkpoint buckets; default 1, 3 on a three-node cluster)",
            static (o, v) => o.Replicas = int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 5
                ? n
                : throw new UsageException($"--replicas {v}: use a whole number from 1 to 5.")),
        new("--id", Commands.Worker, "<name>", "this worker's name in the lease bucket (default: host name, process id, a random suffix)",
            static (o, v) => o.WorkerId = v.Length > 0 && v.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
                ? v
                : throw new UsageException($"--id {v}: use ASCII letters, digits, '-' and '_'.")),
    ];

    /// <summary>The URLs of --nats: comma-separated, each nats://, tls://, ws:// or wss:// (or a bare host:port).</summary>
    private static List<string> ParseNatsUrls(string value)
    {
        var urls = new List<string>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var url = part.Contains("://", StringComparison.Ordinal) ? part : "nats://" + part;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls" or "ws" or "wss") || uri.Host.Length == 0)
            {
                throw new UsageException($"--nats {part}: use nats://host:port (tls://, ws:// and wss:// too), several separated by commas.");
            }

            urls.Add(url);
        }

        return urls.Count > 0 ? urls : throw new UsageException("--nats needs at least one URL: --nats nats://127.0.0.1:4222.");
    }

    /// <summary>The columns the Zeek reader needs (ZeekFormatError.MissingColumns), in zeek-cut's order.</summary>
    private static readonly string[] NeededFields = ["ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "service"];

    /// <summary>The version the assembly was built as (with the commit, when the build knows it).</summary>
    public static string Version
        => typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(CommandLine).Assembly.GetName().Version?.ToString()
            ?? "unknown";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        switch (args)
        {
            case []:
                await stderr.WriteLineAsync(Help.Overview).ConfigureAwait(false);
                return Failure;
            case ["-h" or "--help" or "help"]:
                await stdout.WriteLineAsync(Help.Overview).ConfigureAwait(false);
                return Success;
            case ["--version" or "version", ..]:
                await stdout.WriteLineAsync($"portmismatch {Version}").ConfigureAwait(false);
                return Success;
            case ["help", var topic, ..]:
                if (Help.For(topic) is { } text)
                {
                    await stdout.WriteLineAsync(text).ConfigureAwait(false);
                    return Success;
                }

                return await UsageError(stderr, null, $"unknown command '{topic}': use scan, listen, follow, worker, rules or publish.").ConfigureAwait(false);
        }

        var command = args[0];
        if (Help.For(command) is null)
        {
            return await UsageError(stderr, null, $"unknown command '{command}': use scan, listen, follow, worker, rules or publish.").ConfigureAwait(false);
        }

        if (AsksForHelp(args.AsSpan(1)))
        {
            await stdout.WriteLineAsync(Help.For(command)).ConfigureAwait(false);
            return Success;
        }

        ScanOptions options;
        try
        {
            options = Parse(command, args.AsSpan(1));
        }
        catch (UsageException e)
        {
            return await UsageError(stderr, command, e.Message).ConfigureAwait(false);
        }

        try
        {
            return command switch
            {
                "rules" => RulesCommand.Run(options, stdout, stderr),
                "publish" => await PublishCommand.RunAsync(options, stderr, cancellationToken).ConfigureAwait(false),
                "worker" => await WorkerCommand.RunAsync(options, stdout, stderr, cancellationToken).ConfigureAwait(false),
                "listen" => await RunStats.RunAsync("listen", options, ct => ListenCommand.RunAsync(options, stdout, stderr, ct), cancellationToken).ConfigureAwait(false),
                "follow" => await RunStats.RunAsync("follow", options, ct => FollowCommand.RunAsync(options, stdout, stderr, ct), cancellationToken).ConfigureAwait(false),
                _ => await RunStats.RunAsync("scan", options, ct => ScanCommand.RunAsync(options, stdout, stderr, ct), cancellationToken).ConfigureAwait(false),
            };
        }
        catch (RuleImportException e)
        {
            await stderr.WriteLineAsync($"portmismatch: {e.Message}").ConfigureAwait(false);
            return Failure;
        }
        catch (ConfigurationFormatException e)
        {
            await stderr.WriteLineAsync($"portmismatch: {e.Message}").ConfigureAwait(false);
            return Failure;
        }
        catch (IOException e)
        {
            await stderr.WriteLineAsync($"portmismatch: {e.Message}").ConfigureAwait(false);
            return Failure;
        }
        catch (UnauthorizedAccessException e)
        {
            await stderr.WriteLineAsync($"portmismatch: {e.Message}").ConfigureAwait(false);
            return Failure;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await stderr.WriteLineAsync($"portmismatch: cannot listen: {e.Message}").ConfigureAwait(false);
            return Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("portmismatch: interrupted.").ConfigureAwait(false);
            return Failure;
        }
    }

    /// <summary>Writes a usage error and the hint where to read more; returns <see cref="Failure"/>.</summary>
    private static async Task<int> UsageError(TextWriter stderr, string? command, string message)
    {
        await stderr.WriteLineAsync($"portmismatch: {message}").ConfigureAwait(false);
        await stderr.WriteLineAsync(command is null ? "Run 'portmismatch --help' for the commands." : $"Run 'portmismatch {command} --help' for its options and examples.").ConfigureAwait(false);
        return Failure;
    }

    /// <summary>Whether -h or --help comes before any <c>--</c> (after it, they are file names).</summary>
    private static bool AsksForHelp(ReadOnlySpan<string> args)
    {
        foreach (var arg in args)
        {
            if (arg == "--")
            {
                return false;
            }

            if (arg is "-h" or "--help")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Reads the options and paths of <paramref name="command"/>: each option at most once and only where it means
    /// something (<see cref="Options"/>), <c>--</c> ends the options (a file named <c>-x</c>), <c>-</c> is standard
    /// input; then <see cref="Check"/> refuses combinations in which an option would do nothing.
    /// </summary>
    internal static ScanOptions Parse(string command, ReadOnlySpan<string> args)
    {
        var commandFlag = command switch
        {
            "scan" => Commands.Scan,
            "listen" => Commands.Listen,
            "follow" => Commands.Follow,
            "rules" => Commands.Rules,
            "publish" => Commands.Publish,
            "worker" => Commands.Worker,
            _ => throw new UsageException($"unknown command '{command}': use scan, listen, follow, worker, rules or publish."),
        };

        var options = new ScanOptions();
        var optionsEnded = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (optionsEnded || arg == "-" || !arg.StartsWith('-'))
            {
                options.Paths.Add(arg);
                continue;
            }

            if (arg == "--")
            {
                optionsEnded = true;
                continue;
            }

            var option = Array.Find(Options, o => o.Name == arg || o.Alias == arg)
                ?? throw new UsageException($"unknown option '{arg}'{(Nearest(arg, commandFlag) is { } near ? $"; did you mean {near}?" : ".")}");
            if ((option.Commands & commandFlag) == 0)
            {
                throw new UsageException($"{option.Name} does nothing in {command}; it is an option of {option.CommandNames}.");
            }

            if (!options.Given.Add(option.Name))
            {
                throw new UsageException($"{option.Name} is given twice{(option.Name == "--rules" ? "; combine rule sets with a comma (--rules escu,extended)" : string.Empty)}.");
            }

            if (option.Value is null)
            {
                option.Apply(options, string.Empty);
            }
            else if (i + 1 >= args.Length)
            {
                throw new UsageException($"{option.Name} needs a value: {option.Name} {option.Value}.");
            }
            else
            {
                option.Apply(options, args[++i]);
            }
        }

        Check(command, options);
        return options;
    }

    /// <summary>The option of <paramref name="command"/> that <paramref name="typed"/> is a typo of (at most two edits, as the .NET CLI suggests), or null.</summary>
    private static string? Nearest(string typed, Commands command)
    {
        string? nearest = null;
        var best = 3;
        foreach (var option in Options)
        {
            var distance = (option.Commands & command) == 0 ? int.MaxValue : EditDistance(typed, option.Name);
            if (distance < best)
            {
                (nearest, best) = (option.Name, distance);
            }
        }

        return nearest;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    /// <summary>Refuses what a command cannot run and options that would do nothing with the others given.</summary>
    private static void Check(string command, ScanOptions options)
    {
        if (options.Given.Contains("--lateness") && options.Window is null)
        {
            throw new UsageException("--lateness does nothing without --window: it is how long a window waits for late records.");
        }

        if (options.OutputPath is not null && !options.Given.Contains("--output"))
        {
            options.Output = OutputFromExtension(options.OutputPath);
        }

        CheckHec(options);
        if (command == "publish")
        {
            CheckPublish(options);
        }

        switch (command)
        {
            case "scan":
                if (options.Paths.Count == 0)
                {
                    throw new UsageException("scan needs at least one path, or - for standard input.");
                }

                var format = options.Format;
                if (options.FieldNames is not null && format is not ("auto" or "zeek"))
                {
                    throw new UsageException($"--fields names the columns of headerless Zeek TSV: it does nothing with --format {format}.");
                }

                if (options.AllDirections && format is "zeek" or "zeek-json" or "panos")
                {
                    throw new UsageException($"--all-directions is for IPFIX: it does nothing with --format {format}.");
                }

                if (options.Given.Contains("--input-time-zone") && format is "zeek" or "zeek-json" or "suricata" or "ipfix" or "pcap")
                {
                    throw new UsageException($"--input-time-zone is for PAN-OS times: it does nothing with --format {format}.");
                }

                break;
            case "listen":
                if (options.Paths.Count > 0)
                {
                    throw new UsageException($"listen reads from the network, not from '{options.Paths[0]}': use scan for files.");
                }

                if (options.IpfixListen is null && options.SyslogListen is null && options.SyslogTcpListen is null && options.SyslogTlsListen is null)
                {
                    throw new UsageException("listen needs --ipfix, --syslog-udp, --syslog-tcp or --syslog-tls <addr:port> (one or more).");
                }

                CheckTls(options);

                if (options.Window is null)
                {
                    throw new UsageException("listen needs --window <duration>: rows are written as windows close.");
                }

                if (options.AllDirections && options.IpfixListen is null)
                {
                    throw new UsageException("--all-directions is for IPFIX: it does nothing without --ipfix.");
                }

                if (options.Given.Contains("--input-time-zone") && options.SyslogListen is null && options.SyslogTcpListen is null && options.SyslogTlsListen is null)
                {
                    throw new UsageException("--input-time-zone is for PAN-OS times: it does nothing without --syslog-udp, --syslog-tcp or --syslog-tls.");
                }

                break;
            case "follow":
                if (options.Paths.Count != 1)
                {
                    throw new UsageException(options.Paths.Count == 0
                        ? "follow needs the folder Zeek writes conn.log to: portmismatch follow <dir>."
                        : $"follow reads one folder, not {options.Paths.Count} paths: run one follow per folder.");
                }

                if (options.Given.Contains("--idle-close") && options.Window is null)
                {
                    throw new UsageException("--idle-close does nothing without --window: it closes a window no record has reached.");
                }

                break;
            case "worker":
                if (options.Paths.Count > 0)
                {
                    throw new UsageException($"worker reads the NATS stream, not '{options.Paths[0]}': load files with portmismatch publish.");
                }

                if (options.NatsUrls.Count == 0)
                {
                    throw new UsageException("worker needs --nats <url>[,<url>...].");
                }

                if (options.Window is null)
                {
                    throw new UsageException("worker needs --window <duration>: final rows are written as windows close.");
                }

                break;
            case "rules":
                if (options.Paths.Count > 0)
                {
                    throw new UsageException($"rules prints the rules and reads no input: '{options.Paths[0]}' is not used (the rule set is --rules).");
                }

                if (options.ImportPath is not null)
                {
                    foreach (var other in new[] { "--export", "--rules", "--allow" })
                    {
                        if (options.Given.Contains(other))
                        {
                            throw new UsageException($"--import writes the imported file as our JSON; {other} does not go with it (use the written file with --rules or --allow).");
                        }
                    }

                    var extension = Path.GetExtension(options.ImportPath).ToUpperInvariant();
                    if (extension is not (".CSV" or ".CONF" or ".ZEEK"))
                    {
                        throw new UsageException($"--import {options.ImportPath}: the file's name must end in .csv (a Splunk lookup), .conf (a Splunk macros.conf) or .zeek (a Zeek valids table), which says how to read it.");
                    }

                    if (options.ImportAsRules && extension != ".CSV")
                    {
                        throw new UsageException("--as rules reads a Splunk lookup (.csv) as a rule set; a filter macro and a Zeek valids table say what to allow, so they become an allow-list.");
                    }

                    if (options.LocalNetworks is not null && extension != ".ZEEK")
                    {
                        throw new UsageException("--local-nets is for a Zeek valids table (.zeek): its INCOMING and OUTGOING entries need Site::local_nets.");
                    }

                    break;
                }

                foreach (var other in new[] { "--as", "--local-nets" })
                {
                    if (options.Given.Contains(other))
                    {
                        throw new UsageException($"{other} goes with --import.");
                    }
                }

                if (options.OutputPath is not null && options.Export is null)
                {
                    throw new UsageException("--out does nothing in rules without --export or --import: the rules are printed to standard output.");
                }

                if (options.AllowList is not null && options.Export is null or "json")
                {
                    throw new UsageException("--allow does nothing in rules without --export spl, kql, sigma, suricata or zeek: a rule file and the rules table carry no allow-list.");
                }

                break;
        }
    }

    /// <summary>
    /// --hec-url sends the rows to Splunk instead of writing them, so --out and --output would do nothing; the token comes from
    /// the environment variable of --hec-token-env (SPLUNK_HEC_TOKEN), and a missing one is said here, before any input is read.
    /// </summary>
    private static void CheckHec(ScanOptions options)
    {
        if (options.HecUrl is null)
        {
            if (options.Given.Contains("--hec-token-env"))
            {
                throw new UsageException("--hec-token-env does nothing without --hec-url: it names the variable that holds the HEC token.");
            }

            return;
        }

        foreach (var option in new[] { "--out", "--output", "--time-zone" })
        {
            if (options.Given.Contains(option))
            {
                throw new UsageException(option == "--time-zone"
                    ? "--time-zone does nothing with --hec-url: events carry UTC times (and Splunk's time is epoch seconds)."
                    : $"{option} does nothing with --hec-url: the rows go to Splunk, not to a file or standard output.");
            }
        }

        options.HecToken = Environment.GetEnvironmentVariable(options.HecTokenVariable) is { Length: > 0 } token
            ? token
            : throw new UsageException($"--hec-url needs the HEC token in the environment variable {options.HecTokenVariable}, which is not set (the token is never taken from the command line; --hec-token-env names another variable).");
    }

    /// <summary>Reads --hec-url: the collector's base URL, http or https.</summary>
    internal static Uri ParseHecUrl(string text)
        => Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
            && !url.AbsolutePath.Contains("/services/collector", StringComparison.OrdinalIgnoreCase)
            ? url
            : throw new UsageException($"--hec-url {text}: give the collector's base URL, such as https://splunk.example:8088 (/services/collector/event is appended).");

    /// <summary>--syslog-tls needs --cert and --key; they do nothing without it.</summary>
    private static void CheckTls(ScanOptions options)
    {
        if (options.SyslogTlsListen is null)
        {
            if (options.CertificatePath is not null || options.KeyPath is not null)
            {
                throw new UsageException($"{(options.CertificatePath is not null ? "--cert" : "--key")} does nothing without --syslog-tls: it is the TLS listener's certificate.");
            }

            return;
        }

        if (options.CertificatePath is null || options.KeyPath is null)
        {
            throw new UsageException($"--syslog-tls needs {(options.CertificatePath is null ? "--cert <pem>" : "--key <pem>")}: the server certificate and its private key, PEM files.");
        }

        foreach (var (option, path) in new[] { ("--cert", options.CertificatePath), ("--key", options.KeyPath) })
        {
            if (!File.Exists(path))
            {
                throw new UsageException($"{option} {path}: no such file.");
            }
        }
    }

    /// <summary>The output format a file's extension says: .csv, .jsonl or .ndjson; anything else is a table.</summary>
    internal static OutputFormat OutputFromExtension(string path) => Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".CSV" => OutputFormat.Csv,
        ".JSONL" or ".NDJSON" => OutputFormat.JsonLines,
        _ => OutputFormat.Table,
    };

    /// <summary>Reads --fields: Zeek's column names as zeek-cut prints them, separated by commas (or spaces: a header pasted in).</summary>
    internal static IReadOnlyList<string> ParseFields(string text)
    {
        var names = text.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var missing = NeededFields.Where(needed => !names.Contains(needed, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            throw new UsageException($"--fields {text}: a conn.log needs the columns {string.Join(",", NeededFields)}; missing {string.Join(",", missing)}.");
        }

        var twice = names.GroupBy(name => name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new UsageException($"--fields {text}: {twice.Key} is named twice.");
        }

        return names;
    }

    internal static TimeSpan ParseDuration(string option, string text)
    {
        var unit = text.Length > 0 ? text[^1] : ' ';
        var number = text.Length > 1 ? text[..^1] : string.Empty;
        if (double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            TimeSpan? duration = unit switch
            {
                's' => TimeSpan.FromSeconds(value),
                'm' => TimeSpan.FromMinutes(value),
                'h' => TimeSpan.FromHours(value),
                'd' => TimeSpan.FromDays(value),
                _ => null,
            };
            if (duration is { } d)
            {
                return d;
            }
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            return span;
        }

        throw new UsageException($"{option} {text}: use a duration such as 30s, 15m, 1h, 1d or 00:15:00.");
    }

    internal static double ParseRatio(string option, string text)
    {
        var percent = text.EndsWith('%');
        if (double.TryParse(percent ? text[..^1] : text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            value = percent ? value / 100 : value;
            if (value is >= 0 and <= 1)
            {
                return value;
            }
        }

        throw new UsageException($"{option} {text}: use a share of the records from 0 to 1, such as 0.01 or 1%.");
    }

    internal static System.Net.IPEndPoint ParseEndPoint(string option, string text) => ListenCommand.ParseEndPoint(option, text);

    internal static List<IPNetworkValue> ParseNetworks(string option, string text)
    {
        var networks = new List<IPNetworkValue>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries))
        {
            networks.Add(IPNetworkValue.TryParse(item, out var network)
                ? network
                : throw new UsageException($"{option} {text}: '{item}' is no network; write addresses with a prefix length, separated by commas (10.0.0.0/8,2001:db8::/32)."));
        }

        return networks;
    }

    internal static TimeZoneInfo ParseZone(string option, string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new UsageException($"{option} {id}: not a time zone this machine knows (use an IANA id such as Europe/Berlin, or UTC).");
        }
    }

    /// <summary>publish: the servers and at least one file.</summary>
    private static void CheckPublish(ScanOptions options)
    {
        if (options.NatsUrls.Count == 0)
        {
            throw new UsageException("publish needs --nats <url>: the NATS server to publish to (nats://127.0.0.1:4222).");
        }

        if (options.Paths.Count == 0 || options.Paths.Contains("-"))
        {
            throw new UsageException("publish needs files to publish (not standard input: a message id names its file).");
        }
    }
}

internal sealed class UsageException(string message) : Exception(message);

internal enum OutputFormat
{
    Table,
    Csv,
    JsonLines,
    Ocsf,
    Ecs,
}

/// <summary>The commands an option means something to.</summary>
[Flags]
internal enum Commands
{
    Scan = 1,
    Listen = 2,
    Rules = 4,
    Follow = 8,
    Worker = 16,
    Publish = 32,
}

/// <summary>An option of the command line: its name, the commands it is for, its value's form (null: a flag), its help and what it sets.</summary>
internal sealed record CommandOption(string Name, Commands Commands, string? Value, string Help, Action<ScanOptions, string> Apply, string? Alias = null)
{
    /// <summary>Gets the commands it is for, in words.</summary>
    public string CommandNames
    {
        get
        {
            var names = new[] { (Commands.Scan, "scan"), (Commands.Listen, "listen"), (Commands.Follow, "follow"), (Commands.Worker, "worker"), (Commands.Rules, "rules"), (Commands.Publish, "publish") }
                .Where(c => (Commands & c.Item1) != 0).Select(c => c.Item2).ToList();
            return names.Count == 1 ? names[0] : string.Join(", ", names[..^1]) + " and " + names[^1];
        }
    }
}

internal sealed class ScanOptions
{
    public List<string> Paths { get; } = [];

    /// <summary>Gets the options given on the command line, by name.</summary>
    public HashSet<string> Given { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets the --fields column names of headerless Zeek TSV, or null.</summary>
    public IReadOnlyList<string>? FieldNames { get; set; }

    /// <summary>Gets the options of the Zeek reader: the defaults, with --fields.</summary>
    public PortMismatch.Detection.Zeek.ZeekReaderOptions ZeekOptions => field ??= PortMismatch.Detection.Zeek.ZeekReaderOptions.Default with { FieldNames = FieldNames };

    /// <summary>Gets or sets the --format value: auto, zeek, zeek-json, suricata, panos, ipfix or pcap.</summary>
    public string Format { get; set; } = "auto";

    /// <summary>Gets the formats that --format and the reader options make, once the command line has been read.</summary>
    public ScanFormats Formats => field ??= new(this);

    public string Rules { get; set; } = "escu";

    public string? AllowList { get; set; }

    /// <summary>Gets or sets the --baseline store's path.</summary>
    public string? BaselinePath { get; set; }

    /// <summary>Gets or sets --suppress-seen-days.</summary>
    public int? SuppressSeenDays { get; set; }

    public OutputFormat Output { get; set; } = OutputFormat.Table;

    public string? OutputPath { get; set; }

    public TimeSpan? Window { get; set; }

    public TimeSpan Lateness { get; set; }

    public AppGrouping Grouping { get; set; } = AppGrouping.MismatchingValues;

    public bool AllDirections { get; set; }

    public TimeZoneInfo InputTimeZone { get; set; } = TimeZoneInfo.Utc;

    public TimeZoneInfo? OutputTimeZone { get; set; }

    public bool FailOnFindings { get; set; }

    /// <summary>Gets or sets the share of an input's records (rejected / read) above which the input fails; null: only all rejected fails.</summary>
    public double? MaxRejected { get; set; }

    public bool Quiet { get; set; }

    public System.Net.IPEndPoint? IpfixListen { get; set; }

    public TimeSpan IdleClose { get; set; } = TimeSpan.FromMinutes(1);

    public System.Net.IPEndPoint? SyslogListen { get; set; }

    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    public System.Net.IPEndPoint? SyslogTcpListen { get; set; }

    public System.Net.IPEndPoint? SyslogTlsListen { get; set; }

    /// <summary>Gets or sets the --cert PEM file of --syslog-tls.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Gets or sets the --key PEM file of --syslog-tls.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Gets or sets the --export value of rules: null (the table), json (a rule file), or spl, kql, sigma, suricata or zeek.</summary>
    public string? Export { get; set; }

    /// <summary>Gets or sets rules --import: a Splunk lookup or macros.conf or a Zeek valids table to write as our JSON.</summary>
    public string? ImportPath { get; set; }

    /// <summary>Gets or sets whether rules --import writes a rule file (--as rules) rather than an allow-list file.</summary>
    public bool ImportAsRules { get; set; }

    /// <summary>Gets or sets rules --local-nets: Site::local_nets for a Zeek valids table's INCOMING and OUTGOING entries.</summary>
    public IReadOnlyList<IPNetworkValue>? LocalNetworks { get; set; }

    /// <summary>Gets or sets the follow --bookmark file, or null.</summary>
    public string? BookmarkPath { get; set; }

    /// <summary>Gets or sets the --hec-url collector, or null to write the rows.</summary>
    public Uri? HecUrl { get; set; }

    /// <summary>Gets or sets the --hec-token-env variable.</summary>
    public string HecTokenVariable { get; set; } = "SPLUNK_HEC_TOKEN";

    /// <summary>Gets or sets the HEC token read from <see cref="HecTokenVariable"/> (never printed).</summary>
    public string? HecToken { get; set; }

    /// <summary>Gets or sets the --stats file, or null.</summary>
    public string? StatsPath { get; set; }

    /// <summary>Gets or sets the run summary being collected (with --stats), for the command to report into.</summary>
    public RunStats? Stats { get; set; }

    /// <summary>Gets or sets the --report HTML file, or null.</summary>
    public string? ReportPath { get; set; }

    public RuleSet LoadRules() => RuleSets.Parse(Rules);

    /// <summary>--evidence (true), --no-evidence (false), or neither (null: join when companion logs are found).</summary>
    public bool? Evidence { get; set; }

    // worker (#20)

    /// <summary>Gets or sets the NATS servers of --nats.</summary>
    public List<string> NatsUrls { get; set; } = [];

    public string NatsStream { get; set; } = "FLOWS";

    public string FindingsStream { get; set; } = "FINDINGS";

    public int Partitions { get; set; } = 8;

    /// <summary>Gets or sets the lines a message of <c>publish</c> (--lines-per-message).</summary>
    public int LinesPerMessage { get; set; } = 1;

    public int Replicas { get; set; } = 1;

    public string? WorkerId { get; set; }
}
