namespace PortMismatch.Cli;

/// <summary>
/// <c>portmismatch rules</c>: the active rules as a table, or with <c>--export json</c> as a rule file (with
/// <c>$schema</c>) that loads back to the same rules, so that a custom set starts from a built-in one.
/// </summary>
internal static class RulesCommand
{
    public static int Run(ScanOptions options, TextWriter stdout)
    {
        var rules = options.LoadRules();
        if (options.Export is "json")
        {
            var json = RuleSetJson.ToJson(rules);
            if (options.OutputPath is { } path)
            {
                File.WriteAllText(path, json + "\n");
            }
            else
            {
                stdout.WriteLine(json);
            }

            return CommandLine.Success;
        }

        var rows = rules.Select(r => new[]
        {
            r.Id, string.Join(", ", r.Apps), r.ExpectedPorts.ToString(), r.Transport?.ToName() ?? "any",
            r.RiskScore.ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(", ", r.Techniques),
        }).Prepend(["id", "apps", "expected ports", "transport", "risk", "ATT&CK"]).ToList();
        var widths = Enumerable.Range(0, 6).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            stdout.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))));
        }

        return CommandLine.Success;
    }
}
