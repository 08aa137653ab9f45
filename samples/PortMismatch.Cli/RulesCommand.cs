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
        if (options.ImportPath is { } import)
        {
            return Import(options, import, stdout, stderr);
        }

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
                stderr.WriteLine($"portmismatch: rules --export {name}: not exact: {omission}");
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

    /// <summary>The largest file --import reads: lookups and tables of allowed pairs are kilobytes; this bounds a wrong file's memory.</summary>
    internal const int MaxImportBytes = 16 << 20;

    /// <summary>
    /// rules --import: a Splunk lookup (.csv), a macros.conf with the filter macro (.conf) or a Zeek valids table (.zeek), as
    /// our allow-list file (or, --as rules, a lookup as a rule file); what a valids table holds that an allow-list cannot say
    /// is named on standard error. The file is opened as a regular file only and read up to <see cref="MaxImportBytes"/>.
    /// </summary>
    private static int Import(ScanOptions options, string path, TextWriter stdout, TextWriter stderr)
    {
        var text = ReadText(path);
        string json;
        switch (Path.GetExtension(path).ToUpperInvariant())
        {
            case ".CSV":
                json = options.ImportAsRules ? RuleSetJson.ToJson(SplunkImport.ReadLookupAsRules(text, path)) : AllowListJson.ToJson(SplunkImport.ReadLookup(text, path));
                break;
            case ".CONF":
                json = AllowListJson.ToJson(SplunkImport.ReadFilterMacro(text, path));
                break;
            default:
                var valids = ZeekValidsImport.Read(text, path, options.LocalNetworks);
                json = AllowListJson.ToJson(valids.AllowList);
                foreach (var left in valids.LeftOut)
                {
                    stderr.WriteLine($"portmismatch: rules --import: not imported: {left}");
                }

                break;
        }

        Write(options, stdout, json + "\n");
        return CommandLine.Success;
    }

    private static string ReadText(string path)
    {
        using var file = RegularFile.Open(path);
        if (file is null)
        {
            return string.Empty;
        }

        // Read in pieces up to the bound: a lookup is kilobytes, so no buffer of the bound's size is taken up front.
        using var content = new MemoryStream();
        var piece = new byte[1 << 16];
        int read;
        while ((read = file.Read(piece, 0, piece.Length)) > 0)
        {
            content.Write(piece, 0, read);
            if (content.Length > MaxImportBytes)
            {
                throw new IOException($"{path}: more than {MaxImportBytes >> 20} MiB; a lookup or table of allowed pairs is far smaller, so this is not one.");
            }
        }

        try
        {
            return new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(content.GetBuffer(), 0, (int)content.Length);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new IOException($"{path}: the byte at offset {e.Index} is not UTF-8; save the file as UTF-8.", e);
        }
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
