namespace PortMismatch.Cli;

/// <summary>
/// <c>portmismatch rules</c>: the active rules as a table (with an "upgrade of / inside" column when a rule has
/// <see cref="DetectionRule.UpgradeOf"/>), or with <c>--export json</c> as a rule file (with
/// <c>$schema</c>) that loads back to the same rules, so that a custom set starts from a built-in one; with
/// <c>--export spl|kql|sigma|suricata|zeek</c> as that engine's search, query, rules or script (with the <c>--allow</c> list).
/// </summary>
internal static class RulesCommand
{
    public static int Run(ScanOptions options, TextWriter stdout, TextWriter stderr)
    {
        var rules = options.LoadRules();
        if (options.Export is "json")
        {
            Write(options, stdout, RuleSetJson.ToJson(rules) + "\n");
            return CommandLine.Success;
        }

        if (options.Export is { } name && RuleExport.TryParseFormat(name, out var format))
        {
            // The export for another engine: what the engine cannot express is left out and named, here and in the text.
            var allowList = options.AllowList is null ? AllowList.Empty : AllowLists.Parse(options.AllowList);
            var result = RuleExport.Export(format, rules, allowList);
            Write(options, stdout, result.Text);
            foreach (var omission in result.Omissions)
            {
                stderr.WriteLine($"portmismatch: rules --export {name}: left out {omission}");
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

    private static void Write(ScanOptions options, TextWriter stdout, string text)
    {
        if (options.OutputPath is { } path)
        {
            File.WriteAllText(path, text);
        }
        else
        {
            stdout.Write(text);
        }
    }
}
