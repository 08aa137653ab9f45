using System.Text;
using PortMismatch.Detection;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// <c>rules --export json</c> (a built-in set as a rule file that loads back to the same rules) and what a user sees for a
/// broken rule or allow-list file: one line with the file, line and column, exit code 2.
/// </summary>
public sealed class RuleFileTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-rulefiles-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [InlineData("escu")]
    [InlineData("extended")]
    [InlineData("panos-appid")]
    public async Task An_exported_built_in_set_loads_back_to_the_same_rules(string name)
    {
        var export = await Run("rules", "--export", "json", "--rules", name);
        Assert.Equal((0, string.Empty), (export.Exit, export.Err));
        Assert.StartsWith($"{{\n  \"$schema\": \"{RuleSetJson.SchemaUrl}\",", export.Out.ReplaceLineEndings("\n"), StringComparison.Ordinal);

        var loaded = RuleSetJson.Parse(Encoding.UTF8.GetBytes(export.Out));
        var original = RuleSets.Get(name);
        Assert.Equal(original.Count, loaded.Count);
        for (var i = 0; i < original.Count; i++)
        {
            var (a, b) = (original[i], loaded[i]);
            Assert.Equal(
                (a.Id, a.Name, string.Join(",", a.Apps), a.ExpectedPorts.ToString(), a.Transport, a.Description, a.Reference, a.RiskScore, string.Join(",", a.Techniques), string.Join(";", a.Exemptions)),
                (b.Id, b.Name, string.Join(",", b.Apps), b.ExpectedPorts.ToString(), b.Transport, b.Description, b.Reference, b.RiskScore, string.Join(",", b.Techniques), string.Join(";", b.Exemptions)));
        }

        // The user's path: write the file, then use it where the set's name was.
        var file = Temp($"{name}.json");
        Assert.Equal(0, (await Run("rules", "--export", "json", "--rules", name, "--out", file)).Exit);
        Assert.Equal((await Run("rules", "--rules", name)).Out, (await Run("rules", "--rules", file)).Out);
        // scan writes rows to the process's standard output, not the test's writer: compare files.
        var (byFile, byName) = (Temp($"{name}-file.csv"), Temp($"{name}-name.csv"));
        Assert.Equal(0, (await Run("scan", "--rules", file, "--output", "csv", "--quiet", "--out", byFile, Repository.Sample("conn.log"))).Exit);
        Assert.Equal(0, (await Run("scan", "--rules", name, "--output", "csv", "--quiet", "--out", byName, Repository.Sample("conn.log"))).Exit);
        var rows = File.ReadAllText(byName);
        Assert.StartsWith("src_ip,dest_ip,app,dest_port,count,firstTime,lastTime", rows, StringComparison.Ordinal);
        Assert.True(rows.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length > 1, rows);
        Assert.Equal(rows, File.ReadAllText(byFile));
    }

    [Fact]
    public async Task Export_takes_only_the_formats_it_writes()
    {
        var (exit, _, err) = await Run("rules", "--export", "yaml");
        Assert.Equal(2, exit);
        Assert.Contains("--export yaml: use json, spl, kql, sigma, suricata or zeek.", err, StringComparison.Ordinal);
    }

    /// <summary>Each file, the offending text in it, and what the message says; the position is where that text starts.</summary>
    public static TheoryData<string, string, string, string> BrokenFiles => new()
    {
        { "--rules", "{ \"rules\": [\n  { \"id\": \"dns\", \"name\": \"DNS\",\n    \"apps\": [\"dns\"],\n    \"prots\": [53] } ] }\n", "\"prots\"", "unknown key \"prots\" in rule \"dns\"; valid keys: id, name, apps, ports, transport, description, reference, riskScore, techniques, exemptions" },
        { "--allow", "{ \"allow\": [\n  { \"comment\": \"printers\", \"app\": \"dns\",\n    \"prots\": [53] } ] }\n", "\"prots\"", "unknown key \"prots\" in allow-list entry \"printers\"; valid keys: comment, app, ports, transport, source, destination" },
        { "--allow", "{ \"allow\": [\n  { \"comment\": \"x\", \"app\": \"dns\" },\n  } ]\n", "} ]", "not JSON: '}' is an invalid start of a value." },
        { "--rules", "{ \"rules\": [\n  { \"id\": \"dns\", \"name\": \"DNS\", \"apps\": [\"dns\"], \"ports\": [53, 70000] } ] }\n", "70000", "item 2 of \"ports\" of rule \"dns\" is 70000; expected a number 0-65535" },
        { "--rules", "{ \"rules\": [\n  { \"id\": \"dns\", \"name\": \"DNS\", \"apps\": \"dns\", \"ports\": [53] } ] }\n", "\"dns\", \"ports\"", "\"apps\" of rule \"dns\" is a string; expected an array of strings" },
        { "--rules", "{ \"rules\": [\n  { \"id\": \"a\", \"name\": \"A\", \"apps\": [\"dns\"], \"ports\": [53] },\n  { \"id\": \"a\", \"name\": \"B\", \"apps\": [\"ssl\"], \"ports\": [443] } ] }\n", "\"a\", \"name\": \"B\"", "\"id\" of rules[1] is \"a\", the id of rules[0] already; expected a unique id" },
        { "--rules", "\n", "\n", "the file is empty; expected a rule file object" },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public async Task A_broken_file_is_one_line_with_the_file_line_and_column(string option, string json, string at, string problem)
    {
        var file = Temp("broken.json");
        File.WriteAllText(file, json);
        var offset = json.IndexOf(at, StringComparison.Ordinal);
        var line = json[..offset].Count(c => c == '\n') + 1;
        var column = offset - (offset == 0 ? 0 : json.LastIndexOf('\n', offset - 1) + 1) + 1;

        var (exit, _, err) = await Run("scan", option, file, Repository.Sample("conn.log"));

        Assert.Equal(2, exit);
        Assert.StartsWith($"portmismatch: {file}: line {line}, column {column}: {problem}", err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
    }

    private static Task<(int Exit, string Out, string Err)> Run(params string[] args) => CliProcess.RunInProcess(args);

    private string Temp(string name) => Path.Combine(_temp, name);
}
