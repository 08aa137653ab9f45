using System.Reflection;
using System.Text.Json;

namespace PortMismatch.Cli.Tests;

/// <summary>The command line as a user meets it: help, the version, usage errors, options that would do nothing, --, --out's extension.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-args-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private string Temp(string name) => Path.Combine(_temp, name);

    private static Task<(int Exit, string Out, string Err)> Run(params string[] args) => CliProcess.RunInProcess(args);

    [Theory]
    [InlineData("scan")]
    [InlineData("listen")]
    [InlineData("rules")]
    public async Task Each_command_has_help_with_examples_on_standard_output(string command)
    {
        var (exit, help, err) = await Run(command, "--help");
        Assert.Equal(0, exit);
        Assert.Empty(err);
        Assert.StartsWith($"portmismatch {command}: ", help, StringComparison.Ordinal);
        Assert.Equal(help, (await Run(command, "-h")).Out);
        Assert.Equal(help, (await Run("help", command)).Out);
        Assert.Equal(help, (await Run(command, "--rules", "escu", "--help")).Out);

        // Every option the command takes is listed, and none it does not take.
        foreach (var option in CommandLine.Options)
        {
            var listed = help.Contains($"  {option.Name} ", StringComparison.Ordinal) || help.Contains($", {option.Name}", StringComparison.Ordinal);
            Assert.True(listed == option.CommandNames.Contains(command, StringComparison.Ordinal), $"{option.Name} in {command} --help: {listed}");
        }

        // The examples run as they are written: their commands are portmismatch's, their sample files exist.
        var examples = help[help.IndexOf("Examples:", StringComparison.Ordinal)..].Split('\n').Skip(1).Where(line => line.Trim().Length > 0).ToList();
        Assert.InRange(examples.Count, 2, 5);
        foreach (var word in examples.SelectMany(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(word => word.StartsWith("samples/", StringComparison.Ordinal)))
        {
            Assert.True(Path.Exists(Repository.PathOf([.. word.Split('/')])), $"{word} in {command}'s examples");
        }
    }

    [Fact]
    public async Task The_sample_examples_of_scan_run_and_exit_with_0()
    {
        var (_, help, _) = await Run("scan", "--help");
        var runnable = help.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("portmismatch scan ", StringComparison.Ordinal) && line.Contains("samples/data", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(runnable);
        foreach (var line in runnable)
        {
            var args = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
                .Select(word => word.StartsWith("samples/", StringComparison.Ordinal) ? Repository.PathOf([.. word.Split('/')]) : word)
                .Select(word => word is "findings.csv" ? Temp(word) : word)
                .Append("--quiet")
                .ToArray();
            if (!args.Contains("--out"))
            {
                args = [.. args, "--out", Temp("rows.txt")];
            }

            var (exit, _, err) = await Run(args);
            Assert.True(exit == 0, $"{line}: {exit} {err}");
        }
    }

    [Fact]
    public async Task The_version_is_the_assemblys_informational_version()
    {
        var version = typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        foreach (var args in new[] { new[] { "--version" }, ["version"] })
        {
            var (exit, output, err) = await Run(args);
            Assert.Equal(0, exit);
            Assert.Empty(err);
            Assert.Equal($"portmismatch {version}", output.TrimEnd('\n', '\r'));
        }
    }

    [Fact]
    public async Task No_arguments_prints_the_overview_to_standard_error_with_2_and_help_prints_it_to_standard_output()
    {
        var (exit, output, err) = await Run();
        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("portmismatch scan", err, StringComparison.Ordinal);

        var (helpExit, help, helpErr) = await Run("--help");
        Assert.Equal(0, helpExit);
        Assert.Empty(helpErr);
        Assert.Equal(err, help);
    }

    [Theory]
    [InlineData("the option", "scan", "--bogus", "x")]
    [InlineData("a value", "scan", "x", "--out")]
    [InlineData("a command", "frobnicate")]
    [InlineData("a help topic", "help", "frobnicate")]
    public async Task A_usage_error_is_one_line_and_where_to_read_more_on_standard_error(string what, params string[] args)
    {
        var (exit, output, err) = await Run(args);
        Assert.Equal(2, exit);
        Assert.Empty(output);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r')).ToArray();
        Assert.True(lines.Length == 2, what);
        Assert.StartsWith("portmismatch: ", lines[0], StringComparison.Ordinal);
        Assert.Equal(args[0] is "scan" ? "Run 'portmismatch scan --help' for its options and examples." : "Run 'portmismatch --help' for the commands.", lines[1]);
    }

    [Theory]
    [InlineData("scan", "--outptu", "--output")]
    [InlineData("scan", "--windw", "--window")]
    [InlineData("listen", "--ipfx", "--ipfix")]
    [InlineData("scan", "--fromat", "--format")]
    [InlineData("rules", "--fromat", null)]
    [InlineData("scan", "--bogus", null)]
    public async Task An_unknown_option_close_to_one_of_the_commands_suggests_it(string command, string typed, string? suggested)
    {
        var (exit, _, err) = await Run(command, typed, "x");
        Assert.Equal(2, exit);
        Assert.Equal(
            suggested is null ? $"portmismatch: unknown option '{typed}'." : $"portmismatch: unknown option '{typed}'; did you mean {suggested}?",
            err.Split('\n')[0].TrimEnd('\r'));
    }

    [Theory]
    [InlineData("--lateness", "scan", "--lateness", "5m", "x.log")]
    [InlineData("--output", "rules", "--output", "csv")]
    [InlineData("--window", "rules", "--window", "1h")]
    [InlineData("--quiet", "rules", "-q")]
    [InlineData("--ipfix", "scan", "--ipfix", "127.0.0.1:4739", "x.log")]
    [InlineData("--idle-close", "scan", "--idle-close", "1m", "x.log")]
    [InlineData("--max-clock-skew", "scan", "--max-clock-skew", "1m", "x.log")]
    [InlineData("--max-rejected", "listen", "--ipfix", "127.0.0.1:4739", "--window", "1m", "--max-rejected", "1%")]
    [InlineData("--format", "listen", "--ipfix", "127.0.0.1:4739", "--window", "1m", "--format", "ipfix")]
    [InlineData("--fields", "listen", "--ipfix", "127.0.0.1:4739", "--window", "1m", "--fields", "ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,service")]
    [InlineData("--fields", "scan", "--format", "panos", "--fields", "ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,service", "x.log")]
    [InlineData("--fields", "scan", "--format", "zeek-json", "--fields", "ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,service", "x.log")]
    [InlineData("--all-directions", "scan", "--format", "zeek", "--all-directions", "x.log")]
    [InlineData("--input-time-zone", "scan", "--format", "ipfix", "--input-time-zone", "UTC", "x.log")]
    [InlineData("--all-directions", "listen", "--syslog-udp", "127.0.0.1:5514", "--window", "1m", "--all-directions")]
    [InlineData("--input-time-zone", "listen", "--ipfix", "127.0.0.1:4739", "--window", "1m", "--input-time-zone", "UTC")]
    [InlineData("--out", "scan", "--out", "a.csv", "--out", "b.csv", "x.log")]
    [InlineData("--rules", "rules", "--rules", "escu", "--rules", "extended")]
    [InlineData("rules", "rules", "x.log")]
    public async Task An_option_that_would_do_nothing_is_a_usage_error(string named, params string[] args)
    {
        var (exit, output, err) = await Run(args);
        Assert.Equal(2, exit);
        Assert.Empty(output);
        var first = err.Split('\n')[0];
        Assert.StartsWith("portmismatch: ", first, StringComparison.Ordinal);
        Assert.Contains(named, first, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ts,id.orig_h,id.orig_p,id.resp_h,service", "id.resp_p")]
    [InlineData("ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,service,ts", "ts")]
    public async Task Fields_that_cannot_be_read_as_a_conn_log_are_a_usage_error(string fields, string named)
    {
        var (exit, _, err) = await Run("scan", "--fields", fields, "x.log");
        Assert.Equal(2, exit);
        Assert.Contains($"--fields {fields}", err, StringComparison.Ordinal);
        Assert.Contains(named, err.Split('\n')[0][$"portmismatch: --fields {fields}".Length..], StringComparison.Ordinal);
    }

    [Fact]
    public void Double_dash_ends_the_options_so_a_file_may_start_with_a_dash()
    {
        var options = CommandLine.Parse("scan", ["--quiet", "--", "-x.log", "--out", "-"]);
        Assert.Equal(["-x.log", "--out", "-"], options.Paths);
        Assert.Null(options.OutputPath);
        Assert.Throws<UsageException>(() => CommandLine.Parse("scan", ["-x.log"]));
        Assert.Equal(["-"], CommandLine.Parse("scan", ["-"]).Paths);
    }

    [Fact]
    public async Task A_file_named_with_a_leading_dash_is_scanned_after_double_dash()
    {
        // The test's own folder holds it, named relative to the current folder as a user would type it.
        var name = $"-x-{Guid.NewGuid():N}.log";
        var path = Path.Combine(Environment.CurrentDirectory, name);
        File.WriteAllText(path, ScanTests.ZeekLog("1700000000\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl"));
        try
        {
            var (exit, _, err) = await Run("scan", "--out", Temp("rows.csv"), "--", name);
            Assert.Equal(0, exit);
            Assert.Contains("1 input (Zeek)", err, StringComparison.Ordinal);
            Assert.Equal(2, File.ReadAllLines(Temp("rows.csv")).Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("rows.jsonl", null, "jsonl")]
    [InlineData("rows.NDJSON", null, "jsonl")]
    [InlineData("rows.csv", null, "csv")]
    [InlineData("rows.txt", null, "table")]
    [InlineData("rows", null, "table")]
    [InlineData("rows.csv", "jsonl", "jsonl")]
    [InlineData("rows.jsonl", "table", "table")]
    public async Task The_out_files_extension_chooses_the_format_unless_output_says_it(string file, string? output, string expected)
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ScanTests.ZeekLog("1700000000\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl"));
        string[] args = output is null ? ["scan", log, "--out", Temp(file), "-q"] : ["scan", log, "--out", Temp(file), "--output", output, "-q"];
        Assert.Equal(0, (await Run(args)).Exit);

        var lines = File.ReadAllLines(Temp(file));
        switch (expected)
        {
            case "jsonl":
                Assert.Equal("10.0.0.2", JsonDocument.Parse(Assert.Single(lines)).RootElement.GetProperty("src_ip").GetString());
                break;
            case "csv":
                Assert.Equal(["src_ip,dest_ip,app,dest_port,count,firstTime,lastTime", "10.0.0.2,192.0.2.1,ssl,4444,1,2023-11-14T22:13:20,2023-11-14T22:13:20"], lines);
                break;
            default:
                Assert.StartsWith("src_ip ", lines[0], StringComparison.Ordinal);
                Assert.StartsWith("-----", lines[1], StringComparison.Ordinal);
                break;
        }
    }

    [Fact]
    public void Every_option_is_listed_once_and_starts_with_two_dashes()
    {
        Assert.Equal(CommandLine.Options.Length, CommandLine.Options.Select(o => o.Name).Distinct().Count());
        Assert.All(CommandLine.Options, option => Assert.StartsWith("--", option.Name, StringComparison.Ordinal));
        Assert.All(CommandLine.Options, option => Assert.NotEqual(0, (int)option.Commands));
    }
}
