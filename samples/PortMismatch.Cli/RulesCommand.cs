namespace PortMismatch.Cli;

/// <summary>
/// <c>portmismatch rules</c>: the active rules as a table (with an "upgrade of / inside" column when a rule has
/// <see cref="DetectionRule.UpgradeOf"/>), or with <c>--export json</c> as a rule file (with
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

        // The "upgrade of" column only when a rule has the relation (escu has none: its table stays as it was).
        var upgrades = rules.Any(r => !r.UpgradeOf.IsEmpty);
        var rows = rules.Select(r => new[]
        {
            r.Id, string.Join(", ", r.Apps), r.ExpectedPorts.ToString(), r.Transport?.ToName() ?? "any",
            r.RiskScore.ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(", ", r.Techniques),
            r.UpgradeOf.IsEmpty ? "-" : string.Join(", ", r.UpgradeOf),
        }.Take(upgrades ? 7 : 6).ToArray()).Prepend(new[] { "id", "apps", "expected ports", "transport", "risk", "ATT&CK", "upgrade of / inside" }.Take(upgrades ? 7 : 6).ToArray()).ToList();
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            stdout.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))));
        }

        return CommandLine.Success;
    }
}
