using System.Text;
using PortMismatch.Detection;
using PortMismatch.Detection.Interop;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// <c>rules --export spl|kql|sigma|suricata|zeek</c> (the rules with an allow-list for another engine, what is not exact on
/// standard error) and <c>rules --import</c> (a Splunk lookup or filter macro, a Zeek valids table, as our JSON files that
/// scan takes). The exports' meaning is tested in the Interop tests; these test what the user runs.
/// </summary>
public sealed class RuleInteropCommandTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-interop-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    public static TheoryData<string, RuleExportFormat> Formats => new()
    {
        { "spl", RuleExportFormat.Spl },
        { "kql", RuleExportFormat.Kql },
        { "sigma", RuleExportFormat.Sigma },
        { "suricata", RuleExportFormat.Suricata },
        { "zeek", RuleExportFormat.Zeek },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task An_export_writes_the_engines_text_and_names_each_thing_it_cannot_say_exactly_on_standard_error(string name, RuleExportFormat format)
    {
        var (exit, output, error) = await Run("rules", "--rules", "extended", "--allow", "benign", "--export", name);
        var expected = RuleExport.Export(format, RuleSet.Extended, AllowLists.Benign);

        Assert.Equal(0, exit);
        Assert.Equal(expected.Text, output);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected.Omissions.Length, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            Assert.Equal($"portmismatch: rules --export {name}: not exact: {expected.Omissions[i]}", lines[i].TrimEnd('\r'));
        }
    }

    [Fact]
    public async Task An_export_goes_to_the_out_file_with_nothing_on_standard_output()
    {
        var file = Path.Combine(_temp, "mismatch.spl");
        var (exit, output, error) = await Run("rules", "--export", "spl", "--out", file);
        Assert.Equal((0, string.Empty, string.Empty), (exit, output, error));
        Assert.Contains("from datamodel=Network_Traffic", await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rules", "--allow", "benign")]
    [InlineData("rules", "--allow", "benign", "--export", "json")]
    public async Task An_allow_list_without_an_engine_export_is_a_usage_error(params string[] args)
    {
        var (exit, _, error) = await Run(args);
        Assert.Equal(2, exit);
        Assert.Contains("--allow does nothing in rules without --export spl, kql, sigma, suricata or zeek", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_splunk_lookup_becomes_an_allow_list_file_that_scan_takes_and_that_drops_the_row_it_allows()
    {
        var before = await Scan();
        Assert.Contains(",dns,8053,", before, StringComparison.Ordinal);

        var lookup = Write("allowed_app_ports.csv", "app,dest_port,transport,comment\r\ndns,8053,,\"our resolver, on 8053\"\r\n");
        var file = Path.Combine(_temp, "ours.json");
        var import = await Run("rules", "--import", lookup, "--out", file);
        Assert.Equal((0, string.Empty, string.Empty), import);

        var allowList = AllowListJson.Load(file);
        var entry = Assert.Single(allowList);
        Assert.Equal(("our resolver, on 8053", "dns", "8053"), (entry.Comment, entry.App, entry.DestinationPorts?.ToString()));

        var after = await Scan("--allow", file);
        Assert.DoesNotContain(",dns,8053,", after, StringComparison.Ordinal);
        Assert.Equal(before.Split('\n').Length - 1, after.Split('\n').Length);
    }

    [Fact]
    public async Task A_splunk_lookup_read_as_rules_is_a_rule_file_that_flags_an_app_off_its_listed_ports()
    {
        var lookup = Write("allowed.csv", "app,dest_port\ndns,53\ndns,8053\n");
        var file = Path.Combine(_temp, "rules.json");
        Assert.Equal((0, string.Empty, string.Empty), await Run("rules", "--import", lookup, "--as", "rules", "--out", file));

        var rule = Assert.Single(RuleSetJson.Load(file));
        Assert.Equal(("dns", "53, 8053"), (string.Join(",", rule.Apps), rule.ExpectedPorts.ToString()));
        var scan = await Scan("--rules", file);
        Assert.Contains(",dns,5353,", scan, StringComparison.Ordinal);
        Assert.DoesNotContain(",dns,8053,", scan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_exported_filter_macro_imports_back_to_the_same_allow_list()
    {
        var export = await Run("rules", "--export", "spl", "--allow", "benign");
        var conf = Write("macros.conf", export.Out[export.Out.IndexOf("# macros.conf", StringComparison.Ordinal)..]);
        var file = Path.Combine(_temp, "back.json");
        Assert.Equal((0, string.Empty, string.Empty), await Run("rules", "--import", conf, "--out", file));
        Assert.Equal(AllowLists.Benign.Select(e => e.ToString()), AllowListJson.Load(file).Select(e => e.ToString()));
    }

    [Fact]
    public async Task A_zeek_valids_table_imports_what_an_allow_list_can_say_and_names_the_rest()
    {
        var valids = Write("local.zeek", "redef ProtocolDetector::valids += {\n    [Analyzer::ANALYZER_DNS, 0.0.0.0, 8053/udp] = ProtocolDetector::BOTH,\n    [Analyzer::ANALYZER_SSL, 10.1.2.3, 8444/tcp] = ProtocolDetector::INCOMING,\n};\n");
        var (exit, output, error) = await Run("rules", "--import", valids);
        Assert.Equal(0, exit);
        var entry = Assert.Single(AllowListJson.Parse(Encoding.UTF8.GetBytes(output)));
        Assert.Equal(("dns", "8053", Transport.Udp), (entry.App, entry.DestinationPorts?.ToString(), entry.Transport));
        Assert.StartsWith("portmismatch: rules --import: not imported: ", error, StringComparison.Ordinal);
        Assert.Contains("local.zeek:3", error, StringComparison.Ordinal);

        // with the local networks, the INCOMING entry is one the allow-list can say
        var (withNets, netsOutput, netsError) = await Run("rules", "--import", valids, "--local-nets", "10.0.0.0/8");
        Assert.Equal((0, string.Empty), (withNets, netsError));
        Assert.Equal(2, AllowListJson.Parse(Encoding.UTF8.GetBytes(netsOutput)).Count);
    }

    [Fact]
    public async Task A_bad_lookup_is_one_line_with_the_file_line_and_column_and_exit_code_2()
    {
        var lookup = Write("bad.csv", "app,dest_port\ndns,99999\n");
        var (exit, output, error) = await Run("rules", "--import", lookup);
        Assert.Equal((2, string.Empty), (exit, output));
        Assert.StartsWith($"portmismatch: {lookup}:2:5: ", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("notes.txt", new string[0], "the file's name must end in .csv (a Splunk lookup), .conf (a Splunk macros.conf) or .zeek")]
    [InlineData("local.zeek", new[] { "--as", "rules" }, "--as rules reads a Splunk lookup (.csv) as a rule set")]
    [InlineData("allowed.csv", new[] { "--local-nets", "10.0.0.0/8" }, "--local-nets is for a Zeek valids table (.zeek)")]
    [InlineData("allowed.csv", new[] { "--rules", "extended" }, "--rules does not go with it")]
    [InlineData("allowed.csv", new[] { "--local-nets", "ten" }, "'ten' is no network")]
    public async Task Import_options_that_do_not_fit_are_usage_errors(string name, string[] more, string message)
    {
        var file = Write(name, "app,dest_port\n");
        var (exit, _, error) = await Run(["rules", "--import", file, .. more]);
        Assert.Equal(2, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_import_file_that_is_not_UTF_8_is_refused_with_the_byte()
    {
        var path = Path.Combine(_temp, "latin1.csv");
        await File.WriteAllBytesAsync(path, [.. "app,dest_port,comment\ndns,8053,caf"u8, 0xE9, (byte)'\n'], TestContext.Current.CancellationToken);
        var (exit, _, error) = await Run("rules", "--import", path);
        Assert.Equal(2, exit);
        Assert.Contains($"{path}: the byte at offset 34 is not UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_import_file_past_16_MiB_is_refused_without_reading_it_whole()
    {
        var path = Path.Combine(_temp, "huge.csv");
        await using (var file = File.Create(path))
        {
            file.SetLength(RulesCommand.MaxImportBytes + 1L);
        }

        var (exit, _, error) = await Run("rules", "--import", path);
        Assert.Equal(2, exit);
        Assert.Contains("more than 16 MiB", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_FIFO_given_as_the_import_is_refused_at_once_not_waited_on()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "FIFOs and the non-blocking open are Linux here");
        var fifo = Path.Combine(_temp, "lookup.csv");
        UnixFiles.MakeFifo(fifo);
        var (exit, _, error) = await Run("rules", "--import", fifo);
        Assert.Equal(2, exit);
        Assert.Contains("named pipe", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_import_options_need_import()
    {
        var (exit, _, error) = await Run("rules", "--as", "rules");
        Assert.Equal(2, exit);
        Assert.Contains("--as goes with --import.", error, StringComparison.Ordinal);
    }

    /// <summary>Scans the bundled conn.log into a CSV file (rows go to the process's own standard output otherwise) and returns it.</summary>
    private async Task<string> Scan(params string[] more)
    {
        var file = Path.Combine(_temp, $"rows-{Guid.NewGuid():N}.csv");
        var (exit, _, error) = await Run(["scan", "--output", "csv", "--quiet", "--out", file, .. more, Repository.Sample("conn.log")]);
        Assert.True(exit is 0 or 1, error);
        return (await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)).ReplaceLineEndings("\n");
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_temp, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static Task<(int Exit, string Out, string Err)> Run(params string[] args) => CliProcess.RunInProcess(args);
}
