using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace PortMismatch.Cli.Tests;

/// <summary><c>--stats &lt;file&gt;</c>: the run summary as JSON, written when the run ends however it ends.</summary>
public sealed class RunStatsTests : IDisposable
{
    private const string Header = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n";

    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-stats-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private string Temp(string name) => Path.Combine(_temp, name);

    private static Task<(int Exit, string Out, string Err)> Run(CancellationToken cancellationToken, params string[] args)
        => CliProcess.RunInProcess(cancellationToken, args);

    private string ZeekLog(string name, params string[] lines)
    {
        var path = Temp(name);
        File.WriteAllText(path, Header + string.Join('\n', lines) + "\n");
        return path;
    }

    [Fact]
    public async Task A_scan_writes_its_counters_per_input_and_in_total_its_rows_and_its_times()
    {
        var good = ZeekLog("a.log", "1700000000.0\tC1\t10.0.0.1\t5000\t10.0.0.2\t5353\tudp\tdns", "1700000001.0\tC2\t10.0.0.1\t5001\t10.0.0.2\t53\tudp\tdns");
        var mixed = ZeekLog("b.log", "1700000002.0\tC3\t10.0.0.3\t5000\t10.0.0.4\t8080\ttcp\tssl", "1700000003.0\tC4\tnot-an-address\t5000\t10.0.0.4\t8080\ttcp\tssl");
        var stats = Temp("run.json");
        var before = DateTimeOffset.UtcNow;

        var (exit, _, err) = await Run(TestContext.Current.CancellationToken, "scan", good, mixed, "--output", "csv", "--out", Temp("rows.csv"), "--stats", stats);
        var output = File.ReadAllText(Temp("rows.csv"));
        var after = DateTimeOffset.UtcNow;

        Assert.True(exit == 0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        var root = json.RootElement;
        Assert.Equal("scan", root.GetProperty("command").GetString());
        Assert.Equal(0, root.GetProperty("exit_code").GetInt32());
        Assert.False(root.GetProperty("interrupted").GetBoolean());
        Assert.False(root.TryGetProperty("error", out _));
        var version = typeof(CommandLine).Assembly.GetName().Version!;
        Assert.StartsWith($"{version.Major}.{version.Minor}.{version.Build}", root.GetProperty("tool_version").GetString(), StringComparison.Ordinal);

        var start = DateTimeOffset.Parse(root.GetProperty("start_time").GetString()!, CultureInfo.InvariantCulture);
        var end = DateTimeOffset.Parse(root.GetProperty("end_time").GetString()!, CultureInfo.InvariantCulture);
        Assert.EndsWith("Z", root.GetProperty("start_time").GetString(), StringComparison.Ordinal);
        Assert.InRange(start, before.AddMilliseconds(-1), end);
        Assert.InRange(end, start, after.AddMilliseconds(1));
        Assert.InRange(root.GetProperty("duration_seconds").GetDouble(), 0, (after - before).TotalSeconds + 0.001);

        var inputs = root.GetProperty("inputs").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!);
        Assert.Equal([good, mixed], inputs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, inputs[good].GetProperty("accepted").GetInt64());
        Assert.Equal(0, inputs[good].GetProperty("rejected").GetInt64());
        Assert.Equal("zeek", inputs[good].GetProperty("format").GetString());
        Assert.Equal(2, inputs[mixed].GetProperty("read").GetInt64());
        Assert.Equal(1, inputs[mixed].GetProperty("rejected").GetInt64());
        var reason = Assert.Single(inputs[mixed].GetProperty("rejected_by_reason").EnumerateObject());
        Assert.Equal(1, reason.Value.GetInt64());
        Assert.Contains($"({reason.Name})", err, StringComparison.Ordinal); // the code the diagnostic on standard error gave

        var total = root.GetProperty("total");
        Assert.Equal(4, total.GetProperty("read").GetInt64());
        Assert.Equal(3, total.GetProperty("accepted").GetInt64());
        Assert.Equal(1, total.GetProperty("rejected").GetInt64());
        Assert.Equal(1, total.GetProperty("rejected_by_reason").GetProperty(reason.Name).GetInt64());

        var rowsPrinted = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1;
        Assert.Equal(2, rowsPrinted); // dns on 5353, ssl on 8080
        var rows = root.GetProperty("rows");
        Assert.Equal(rowsPrinted, rows.GetProperty("written").GetInt64());
        Assert.Equal(rowsPrinted, rows.GetProperty("emitted").GetInt64());
        Assert.Equal(0, rows.GetProperty("removed_by_allow_list").GetInt64());
        Assert.Equal(2, root.GetProperty("records_selected").GetInt64());

        // Written beside the target and renamed: nothing else is left in the folder.
        Assert.Equal(["a.log", "b.log", "rows.csv", "run.json"], Directory.GetFileSystemEntries(_temp).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_summary_has_the_fields_its_schema_declares_and_no_other()
    {
        var log = ZeekLog("a.log", "1700000000.0\tC1\t10.0.0.1\t5000\t10.0.0.2\t5353\tudp\tdns");
        var allow = Temp("allow.json");
        File.WriteAllText(allow, """{ "allow": [ { "comment": "mDNS", "app": "dns", "ports": [5353] } ] }""");
        var stats = Temp("run.json");
        var (exit, _, err) = await Run(TestContext.Current.CancellationToken, "scan", log, "--allow", allow, "--stats", stats, "--quiet");
        Assert.True(exit == 0, err);

        using var schema = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("docs", "schemas", "run-stats.schema.json")));
        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        AssertDeclared(schema.RootElement, schema.RootElement, json.RootElement, "$");
    }

    /// <summary>Every property of <paramref name="value"/> is declared by <paramref name="declared"/>, and every required one is there.</summary>
    private static void AssertDeclared(JsonElement schema, JsonElement declared, JsonElement value, string path)
    {
        if (declared.TryGetProperty("$ref", out var reference))
        {
            declared = schema.GetProperty("$defs").GetProperty(reference.GetString()!["#/$defs/".Length..]);
        }

        var properties = new Dictionary<string, JsonElement>();
        var required = new List<string>();
        foreach (var part in declared.TryGetProperty("allOf", out var all) ? [.. all.EnumerateArray(), declared] : new[] { declared })
        {
            var resolved = part.TryGetProperty("$ref", out var r) ? schema.GetProperty("$defs").GetProperty(r.GetString()!["#/$defs/".Length..]) : part;
            foreach (var p in resolved.TryGetProperty("properties", out var ps) ? ps.EnumerateObject() : default)
            {
                properties[p.Name] = p.Value;
            }

            required.AddRange(resolved.TryGetProperty("required", out var req) ? req.EnumerateArray().Select(e => e.GetString()!) : []);
        }

        if (value.ValueKind == JsonValueKind.Object && properties.Count > 0)
        {
            foreach (var name in required)
            {
                Assert.True(value.TryGetProperty(name, out _), $"{path}.{name} is required by the schema but missing");
            }

            foreach (var property in value.EnumerateObject())
            {
                Assert.True(properties.TryGetValue(property.Name, out var inner), $"{path}.{property.Name} is not in the schema");
                AssertDeclared(schema, inner, property.Value, $"{path}.{property.Name}");
            }
        }
        else if (value.ValueKind == JsonValueKind.Array && declared.TryGetProperty("items", out var items))
        {
            foreach (var item in value.EnumerateArray())
            {
                AssertDeclared(schema, items, item, $"{path}[]");
            }
        }
    }

    [Fact]
    public async Task Rows_the_allow_list_removed_are_counted_per_entry()
    {
        var log = ZeekLog("a.log", "1700000000.0\tC1\t10.0.0.1\t5000\t10.0.0.2\t5353\tudp\tdns", "1700000001.0\tC2\t10.0.0.3\t5000\t10.0.0.4\t8080\ttcp\tssl");
        var allow = Temp("allow.json");
        File.WriteAllText(allow, """{ "allow": [ { "comment": "mDNS", "app": "dns", "ports": [5353] }, { "comment": "never", "app": "smtp" } ] }""");
        var stats = Temp("run.json");

        var (exit, _, err) = await Run(TestContext.Current.CancellationToken, "scan", log, "--allow", allow, "--output", "csv", "--out", Temp("rows.csv"), "--stats", stats);
        var output = File.ReadAllText(Temp("rows.csv"));

        Assert.True(exit == 0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        var entries = json.RootElement.GetProperty("allow_list").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        Assert.Contains("mDNS", entries[0].GetProperty("entry").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, entries[0].GetProperty("rows_removed").GetInt64());
        Assert.Contains("never", entries[1].GetProperty("entry").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, entries[1].GetProperty("rows_removed").GetInt64());
        var rows = json.RootElement.GetProperty("rows");
        Assert.Equal(1, rows.GetProperty("removed_by_allow_list").GetInt64());
        Assert.Equal(2, rows.GetProperty("emitted").GetInt64());
        Assert.Equal(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1, rows.GetProperty("written").GetInt64());
    }

    [Fact]
    public async Task A_run_that_fails_on_input_still_writes_its_summary_with_exit_code_2()
    {
        var broken = ZeekLog("broken.log", "1700000000.0\tC1\tnope\t5000\t10.0.0.2\t5353\tudp\tdns");
        var stats = Temp("run.json");

        var (exit, _, _) = await Run(TestContext.Current.CancellationToken, "scan", broken, "--stats", stats);

        Assert.Equal(2, exit);
        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        Assert.Equal(2, json.RootElement.GetProperty("exit_code").GetInt32());
        var input = Assert.Single(json.RootElement.GetProperty("inputs").EnumerateArray());
        Assert.True(input.GetProperty("failed").GetBoolean());
        Assert.Equal(1, input.GetProperty("rejected").GetInt64());
    }

    [Fact]
    public async Task A_run_that_stops_on_an_error_writes_the_error()
    {
        var log = ZeekLog("a.log", "1700000000.0\tC1\t10.0.0.1\t5000\t10.0.0.2\t5353\tudp\tdns");
        var stats = Temp("run.json");

        var (exit, _, err) = await Run(TestContext.Current.CancellationToken, "scan", log, "--rules", Temp("missing-rules.json"), "--stats", stats);

        Assert.Equal(2, exit);
        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        Assert.Equal(2, json.RootElement.GetProperty("exit_code").GetInt32());
        var error = json.RootElement.GetProperty("error").GetString()!;
        Assert.Contains("missing-rules.json", error, StringComparison.Ordinal);
        Assert.Contains(error, err, StringComparison.Ordinal); // what standard error said
        Assert.Empty(json.RootElement.GetProperty("inputs").EnumerateArray());
        Assert.False(json.RootElement.TryGetProperty("total", out _)); // nothing was read: no counters rather than zeros
    }

    [Fact]
    public async Task An_interrupted_scan_writes_its_summary()
    {
        var log = ZeekLog("a.log", "1700000000.0\tC1\t10.0.0.1\t5000\t10.0.0.2\t5353\tudp\tdns");
        var stats = Temp("run.json");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var (exit, _, err) = await Run(cancelled.Token, "scan", log, "--stats", stats);

        Assert.Equal(2, exit);
        Assert.Contains("interrupted", err, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        Assert.True(json.RootElement.GetProperty("interrupted").GetBoolean());
        Assert.Equal(2, json.RootElement.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task A_summary_that_cannot_be_written_fails_before_the_scan()
    {
        var log = ZeekLog("a.log", "1700000000.0\tC1\t10.0.0.1\t5000\t10.0.0.2\t5353\tudp\tdns");
        var stats = Path.Combine(_temp, "no-such-folder", "run.json");

        var rows = Temp("rows.csv");
        var (exit, _, err) = await Run(TestContext.Current.CancellationToken, "scan", log, "--out", rows, "--stats", stats);

        Assert.Equal(2, exit);
        Assert.False(File.Exists(rows)); // not even the output was opened
        Assert.Equal($"portmismatch: --stats {stats}: cannot write a file there: no such folder.\n", err.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task An_existing_summary_is_replaced_whole()
    {
        var log = ZeekLog("a.log", "1700000000.0\tC1\t10.0.0.1\t5000\t10.0.0.2\t5353\tudp\tdns");
        var stats = Temp("run.json");
        File.WriteAllText(stats, new string('x', 100_000));

        var (exit, _, err) = await Run(TestContext.Current.CancellationToken, "scan", log, "--stats", stats, "--quiet");

        Assert.True(exit == 0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        Assert.Equal(1, json.RootElement.GetProperty("total").GetProperty("read").GetInt64());
    }
}
