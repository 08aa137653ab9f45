using System.Globalization;

namespace PortMismatch.Cli;

/// <summary>
/// Parses the command line and runs a command. Exit codes: 0 success, 1 findings with --fail-on-findings, 2 usage error,
/// a failed input (unreadable, or too many rejected records) or a failed output.
/// </summary>
internal static class CommandLine
{
    public const int Success = 0;
    public const int Findings = 1;
    public const int Failure = 2;

    public const string Usage = """
        portmismatch: find traffic that speaks one protocol on another protocol's port (Splunk ESCU "Protocol or Port Mismatch").

        Usage:
          portmismatch scan [options] <path>... | -     read files, folders (recursively), .gz, or standard input
          portmismatch listen --ipfix <addr:port> [--syslog-udp <addr:port>] --window <duration> [options]
                                                        live: collect IPFIX / NetFlow v9 and PAN-OS syslog over UDP,
                                                        print rows as windows close; Ctrl-C prints the open windows and exits
          portmismatch rules [--rules <set>]            print the active rules

        Options of scan:
          --format auto|zeek|zeek-json|panos|ipfix|pcap   input format (default auto: detected from each input's content)
          --rules <set>[,<set>...]                        escu, extended, panos-appid or a rule file (.json), combined (default escu)
          --allow <allowlist.json>                        drop rows an allow-list entry matches (counted per entry)
          --output table|csv|jsonl                        output format (default table)
          --out <file>                                    write rows to a file instead of standard output
          --window <duration>                             tumbling windows (30s, 15m, 1h, 1d); default one aggregate
          --lateness <duration>                           allowed lateness of windows (default 0)
          --group mismatching|all                         group only mismatching app values (default) or all of a record
          --all-directions                                IPFIX: evaluate reply records too
          --input-time-zone <tz>                          PAN-OS: time zone of yyyy/MM/dd HH:mm:ss times (default UTC)
          --time-zone <tz>                                time zone of firstTime / lastTime in the output (default UTC)
          --fail-on-findings                              exit with 1 when a row is printed
          --max-rejected <ratio>                          fail an input (exit 2) when more than this share of its records is
                                                          rejected: 0.01 or 1% (rejected / read, per input; an input without
                                                          records never fails; default: only one whose records were all
                                                          rejected fails)
          --quiet                                         no progress and no summary on standard error
          --stats <file>                                  write a run summary as JSON when the run ends (counters per input
                                                          and in total, reasons, rows, allow-list, times, exit code)

        Options of listen: --ipfix <addr:port> and/or --syslog-udp <addr:port> (for example 0.0.0.0:4739, [::]:514, localhost:4739),
        --window (required), --idle-close <duration> (a window no record has reached for this long is closed anyway,
        default 1m, so that a quiet network still gets its rows), --max-clock-skew <duration> (records dated further ahead
        of the clock are rejected as time-in-future, default 5m), and --rules, --allow, --output, --out, --lateness, --group, --all-directions,
        --input-time-zone, --time-zone, --fail-on-findings, --quiet, --stats as for scan. Rows are written as they are emitted.

        Folders: each file is read once (links and hard links to it are not read again); symbolic link loops, FIFOs, sockets
        and devices in a folder are not read (shown, and counted in the summary); a FIFO named on the command line is read
        as a stream. An output that fails (a full disk, a closed pipe: "output closed") ends the run with exit code 2.

        With --output csv, standard output is exactly the search's CSV (src_ip,dest_ip,app,dest_port,count,firstTime,lastTime),
        sorted by src_ip, dest_ip, app, dest_port; diagnostics and the summary go to standard error.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return args.Length == 0 ? Failure : Success;
        }

        ScanOptions options;
        try
        {
            options = Parse(args[0], args.AsSpan(1));
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"portmismatch: {e.Message}\nRun 'portmismatch --help' for the options.").ConfigureAwait(false);
            return Failure;
        }

        try
        {
            return args[0] switch
            {
                "rules" => RulesCommand.Run(options, stdout),
                "listen" => await RunStats.RunAsync("listen", options, ct => ListenCommand.RunAsync(options, stdout, stderr, ct), cancellationToken).ConfigureAwait(false),
                _ => await RunStats.RunAsync("scan", options, ct => ScanCommand.RunAsync(options, stdout, stderr, ct), cancellationToken).ConfigureAwait(false),
            };
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

    internal static ScanOptions Parse(string command, ReadOnlySpan<string> args)
    {
        if (command is not ("scan" or "rules" or "listen"))
        {
            throw new UsageException($"unknown command '{command}'.");
        }

        var options = new ScanOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Value(ReadOnlySpan<string> all)
            {
                if (i + 1 >= all.Length)
                {
                    throw new UsageException($"{arg} needs a value.");
                }

                return all[++i];
            }

            switch (arg)
            {
                case "--format":
                    options.Format = Value(args);
                    if (options.Format is not ("auto" or "zeek" or "zeek-json" or "panos" or "ipfix" or "pcap"))
                    {
                        throw new UsageException($"--format {options.Format}: use auto, zeek, zeek-json, panos, ipfix or pcap.");
                    }

                    break;
                case "--rules":
                    options.Rules = Value(args);
                    break;
                case "--allow":
                    options.AllowList = Value(args);
                    break;
                case "--output":
                    options.Output = Value(args) switch
                    {
                        "table" => OutputFormat.Table,
                        "csv" => OutputFormat.Csv,
                        "jsonl" => OutputFormat.JsonLines,
                        var other => throw new UsageException($"--output {other}: use table, csv or jsonl."),
                    };
                    break;
                case "--out":
                    options.OutputPath = Value(args);
                    break;
                case "--window":
                    options.Window = ParseDuration(arg, Value(args));
                    break;
                case "--lateness":
                    options.Lateness = ParseDuration(arg, Value(args));
                    break;
                case "--group":
                    options.Grouping = Value(args) switch
                    {
                        "mismatching" => AppGrouping.MismatchingValues,
                        "all" => AppGrouping.AllValues,
                        var other => throw new UsageException($"--group {other}: use mismatching or all."),
                    };
                    break;
                case "--all-directions":
                    options.AllDirections = true;
                    break;
                case "--input-time-zone":
                    options.InputTimeZone = ParseZone(arg, Value(args));
                    break;
                case "--time-zone":
                    options.OutputTimeZone = ParseZone(arg, Value(args));
                    break;
                case "--ipfix" when command == "listen":
                    options.IpfixListen = ParseEndPoint(arg, Value(args));
                    break;
                case "--idle-close" when command == "listen":
                    options.IdleClose = ParseDuration(arg, Value(args));
                    break;
                case "--syslog-udp" when command == "listen":
                    options.SyslogListen = ParseEndPoint(arg, Value(args));
                    break;
                case "--max-clock-skew" when command == "listen":
                    options.MaxClockSkew = ParseDuration(arg, Value(args));
                    break;
                case "--fail-on-findings":
                    options.FailOnFindings = true;
                    break;
                case "--max-rejected" when command == "scan":
                    options.MaxRejected = ParseRatio(arg, Value(args));
                    break;
                case "--stats" when command is "scan" or "listen":
                    options.StatsPath = Value(args);
                    break;
                case "--quiet":
                case "-q":
                    options.Quiet = true;
                    break;
                case "-":
                    options.Paths.Add("-");
                    break;
                default:
                    if (arg.StartsWith('-'))
                    {
                        throw new UsageException($"unknown option '{arg}'.");
                    }

                    options.Paths.Add(arg);
                    break;
            }
        }

        if (command == "scan" && options.Paths.Count == 0)
        {
            throw new UsageException("scan needs at least one path, or - for standard input.");
        }

        if (command == "listen")
        {
            if (options.Paths.Count > 0)
            {
                throw new UsageException($"listen reads from the network, not from '{options.Paths[0]}': use scan for files.");
            }

            if (options.IpfixListen is null && options.SyslogListen is null)
            {
                throw new UsageException("listen needs --ipfix <addr:port>, --syslog-udp <addr:port>, or both.");
            }

            if (options.Window is null)
            {
                throw new UsageException("listen needs --window <duration>: rows are printed as windows close.");
            }
        }

        return options;
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

    private static System.Net.IPEndPoint ParseEndPoint(string option, string text) => ListenCommand.ParseEndPoint(option, text);

    private static TimeZoneInfo ParseZone(string option, string id)
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
}

internal sealed class UsageException(string message) : Exception(message);

internal enum OutputFormat
{
    Table,
    Csv,
    JsonLines,
}

internal sealed class ScanOptions
{
    public List<string> Paths { get; } = [];

    /// <summary>Gets or sets the --format value: auto, zeek, zeek-json, panos, ipfix or pcap.</summary>
    public string Format { get; set; } = "auto";

    /// <summary>Gets the formats that --format and the reader options make, once the command line has been read.</summary>
    public ScanFormats Formats => field ??= new(this);

    public string Rules { get; set; } = "escu";

    public string? AllowList { get; set; }

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

    /// <summary>Gets or sets the --stats file, or null.</summary>
    public string? StatsPath { get; set; }

    /// <summary>Gets or sets the run summary being collected (with --stats), for the command to report into.</summary>
    public RunStats? Stats { get; set; }

    public RuleSet LoadRules() => RuleSets.Parse(Rules);
}
