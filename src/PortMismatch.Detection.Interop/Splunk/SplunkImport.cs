using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PortMismatch.Detection.Interop.Splunk;

namespace PortMismatch.Detection.Interop;

/// <summary>
/// Brings in what a team tuned in Splunk: a lookup CSV of allowed app/port pairs, or the
/// <c>protocol_or_port_mismatch_filter</c> macro of <c>macros.conf</c>, as an <see cref="AllowList"/> (or, for a lookup, a
/// <see cref="RuleSet"/>) that <see cref="AllowListJson.ToJson"/> / <see cref="RuleSetJson.ToJson"/> can save.
/// </summary>
/// <remarks>
/// The lookup has a header row and one allowed case a row. Columns (names ignore case; others are ignored):
/// <c>app</c>, <c>dest_port</c> (or <c>port</c>: <c>443</c>, <c>80,8080</c>, <c>80;8080</c>, <c>80 8080</c>,
/// <c>5228-5230</c>), <c>transport</c> (<c>tcp</c>, <c>udp</c>, <c>other</c>), <c>src_ip</c> or <c>src</c> and
/// <c>dest_ip</c> or <c>dest</c> (an address or a CIDR block), <c>comment</c> or <c>description</c>. An empty cell or
/// <c>*</c> is no condition; any other wildcard is an error, as the library matches values exactly. Cells are trimmed.
/// </remarks>
public static class SplunkImport
{
    private static readonly string[] AppColumns = ["app"];
    private static readonly string[] PortColumns = ["dest_port", "port"];
    private static readonly string[] TransportColumns = ["transport"];
    private static readonly string[] SourceColumns = ["src_ip", "src"];
    private static readonly string[] DestinationColumns = ["dest_ip", "dest"];
    private static readonly string[] CommentColumns = ["comment", "description"];

    /// <summary>Reads a lookup CSV of allowed app/port pairs as an allow-list: one entry a row, every set cell a condition.</summary>
    /// <param name="csv">The CSV text.</param>
    /// <param name="sourceName">The file name, for errors.</param>
    /// <returns>The allow-list.</returns>
    /// <exception cref="RuleImportException">The CSV or a cell is not what the import reads; the message has the line and column.</exception>
    public static AllowList ReadLookup(string csv, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(sourceName);
        return new AllowList(ReadLookupRows(csv, sourceName).Select(row => row.ToEntry()));
    }

    /// <summary>
    /// Reads a lookup CSV of allowed app/port pairs as a rule set: one rule per app and transport (rows without a transport
    /// make a rule for any transport) expecting the ports of its rows without addresses (every port when a row has none);
    /// a row with <c>src_ip</c> or <c>dest_ip</c> becomes an exemption of its rule. Every row needs an app. The rules take
    /// ESCU's risk score (25) and T1571, since a lookup of allowed pairs says nothing of severity.
    /// </summary>
    /// <param name="csv">The CSV text.</param>
    /// <param name="sourceName">The file name, for errors and the rules' descriptions.</param>
    /// <returns>The rule set, rules in the order their apps first appear.</returns>
    /// <exception cref="RuleImportException">The CSV or a cell is not what the import reads, a row has no app, or an app's rows all have addresses (so no port is expected).</exception>
    public static RuleSet ReadLookupAsRules(string csv, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(sourceName);
        var groups = new List<(string App, Transport? Transport, List<LookupRow> Rows)>();
        foreach (var row in ReadLookupRows(csv, sourceName))
        {
            if (row.App is null)
            {
                throw new RuleImportException(sourceName, row.Line, 0, "the row has no app; a rule set is made of rules per app (read the lookup as an allow-list to keep rows without an app)");
            }

            var index = groups.FindIndex(g => g.Transport == row.Transport && AppText.AsciiEquals(g.App, row.App));
            if (index < 0)
            {
                groups.Add((row.App, row.Transport, [row]));
            }
            else
            {
                groups[index].Rows.Add(row);
            }
        }

        var rules = new List<DetectionRule>(groups.Count);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (app, transport, rows) in groups)
        {
            var plain = rows.Where(r => r.Source is null && r.Destination is null).ToList();
            if (plain.Count == 0)
            {
                throw new RuleImportException(sourceName, rows[0].Line, 0, $"every row of the app \"{InputText.Escape(app)}\"{(transport is { } t ? $" over {t.ToName()}" : string.Empty)} has an address; a rule needs a row without src_ip and dest_ip that lists its expected ports");
            }

            var expected = plain.Any(r => r.Ports is null)
                ? PortSet.FromRanges([new PortRange(0, ushort.MaxValue)])
                : PortSet.FromRanges(plain.SelectMany(r => r.Ports!.Ranges));
            var id = UniqueId($"splunk-{Slug(app)}{(transport is { } tr ? "-" + tr.ToName() : string.Empty)}", ids);
            rules.Add(new DetectionRule(id, $"{app} as allowed by {sourceName}", [app], expected)
            {
                Transport = transport,
                Description = string.Join("; ", plain.Select(r => r.Comment).Distinct(StringComparer.Ordinal)),

                // The lookup says where an app is allowed, not how bad it is elsewhere: ESCU's own score and technique.
                RiskScore = 25,
                Techniques = ["T1571"],
                Exemptions = [.. rows.Except(plain).Select(r => new RuleExemption(r.Comment)
                {
                    SourceNetwork = r.Source,
                    DestinationNetwork = r.Destination,
                    DestinationPorts = r.Ports,
                })],
            });
        }

        return rules.Count > 0
            ? new RuleSet(rules)
            : throw new RuleImportException(sourceName, 1, 0, "the lookup has no rows; a rule set needs at least one rule");
    }

    /// <summary>
    /// Reads the <c>[protocol_or_port_mismatch_filter]</c> stanza of a <c>macros.conf</c> as an allow-list. Its
    /// <c>definition</c> (continued over lines ending in a backslash) is <c>search *</c> (no entry) or
    /// <c>search NOT (...) NOT (...)</c>, also written <c>| search ...</c> or <c>search NOT ((...) OR (...))</c>; each
    /// parenthesised condition is one entry of <c>app=</c>, <c>dest_port=</c> (<c>IN (...)</c>, <c>&gt;=</c>,
    /// <c>&lt;=</c>, <c>&gt;</c>, <c>&lt;</c>, and OR of those), <c>src_ip=</c>/<c>src=</c>, <c>dest_ip=</c>/<c>dest=</c>
    /// (CIDR) and <c>transport=</c> terms joined by spaces or AND, as the SPL export writes them. The comments of the
    /// entries are taken from the numbered comment lines above the stanza that the export writes (<c>#   1. why</c>).
    /// </summary>
    /// <param name="conf">The macros.conf text (other stanzas and other text before the stanza are ignored).</param>
    /// <param name="sourceName">The file name, for errors and default comments.</param>
    /// <returns>The allow-list.</returns>
    /// <exception cref="RuleImportException">The stanza is missing or its definition is not what the import reads; the message has the line and column.</exception>
    public static AllowList ReadFilterMacro(string conf, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(conf);
        ArgumentNullException.ThrowIfNull(sourceName);
        return SplunkMacro.Read(conf, sourceName);
    }

    private static List<LookupRow> ReadLookupRows(string csv, string sourceName)
    {
        var records = SplunkCsv.Read(csv, sourceName);
        if (records.Count == 0)
        {
            throw new RuleImportException(sourceName, 1, 0, "the lookup is empty; expected a header row such as app,dest_port,transport,src_ip,dest_ip,comment");
        }

        var header = records[0];
        int Column(string[] names)
        {
            var found = -1;
            for (var i = 0; i < header.Count; i++)
            {
                if (names.Contains(header[i].Text.Trim(), StringComparer.OrdinalIgnoreCase))
                {
                    if (found >= 0)
                    {
                        throw new RuleImportException(sourceName, header[i].Line, header[i].Column, $"the header names the column {names[0]} twice (as \"{InputText.Escape(header[found].Text)}\" and \"{InputText.Escape(header[i].Text)}\")");
                    }

                    found = i;
                }
            }

            return found;
        }

        var app = Column(AppColumns);
        var port = Column(PortColumns);
        var transport = Column(TransportColumns);
        var source = Column(SourceColumns);
        var destination = Column(DestinationColumns);
        var comment = Column(CommentColumns);
        if (app < 0 && port < 0)
        {
            throw new RuleImportException(sourceName, header[0].Line, 0, "the header has neither an app nor a dest_port column; expected a header such as app,dest_port,transport,src_ip,dest_ip,comment");
        }

        var rows = new List<LookupRow>(records.Count - 1);
        for (var r = 1; r < records.Count; r++)
        {
            var record = records[r];
            var line = record[0].Line;
            if (record.Count != header.Count)
            {
                throw new RuleImportException(sourceName, line, 0, string.Create(CultureInfo.InvariantCulture, $"the row has {record.Count} fields and the header {header.Count}"));
            }

            CsvCell? Cell(int column) => column < 0 || record[column].Text.Trim() is "" or "*" ? null : record[column];
            var row = new LookupRow
            {
                Line = line,
                App = Cell(app) is { } a ? App(a, sourceName) : null,
                Ports = Cell(port) is { } p ? Ports(p, sourceName) : null,
                Transport = Cell(transport) is { } t ? ParseTransport(t.Text.Trim(), t, sourceName) : null,
                Source = Cell(source) is { } s ? Network(s, sourceName) : null,
                Destination = Cell(destination) is { } d ? Network(d, sourceName) : null,
                Comment = comment >= 0 && record[comment].Text.Trim() is { Length: > 0 } text && !string.IsNullOrWhiteSpace(text)
                    ? text
                    : string.Create(CultureInfo.InvariantCulture, $"imported from {sourceName} line {line}"),
            };
            if (row.App is null && row.Ports is null && row.Transport is null && row.Source is null && row.Destination is null)
            {
                throw new RuleImportException(sourceName, line, 0, "the row sets no condition (app, dest_port, transport, src_ip, dest_ip) and would allow every row");
            }

            rows.Add(row);
        }

        return rows;
    }

    private sealed class LookupRow
    {
        public int Line { get; init; }

        public string? App { get; init; }

        public PortSet? Ports { get; init; }

        public Transport? Transport { get; init; }

        public IPNetworkValue? Source { get; init; }

        public IPNetworkValue? Destination { get; init; }

        public required string Comment { get; init; }

        public AllowListEntry ToEntry() => new(Comment)
        {
            App = App is null ? null : Printed(App),
            DestinationPorts = Ports,
            Transport = Transport,
            SourceNetwork = Source,
            DestinationNetwork = Destination,
        };
    }

    private static string App(CsvCell cell, string sourceName)
    {
        var app = cell.Text.Trim();
        var star = app.IndexOf('*', StringComparison.Ordinal);
        return star < 0
            ? app
            : throw new RuleImportException(sourceName, cell.Line, cell.Column, $"the app \"{InputText.Escape(app)}\" is a wildcard pattern; the library matches app names exactly (write each name, or * alone for any app)");
    }

    private static PortSet Ports(CsvCell cell, string sourceName)
    {
        var text = Regex.Replace(cell.Text.Trim(), @"\s*-\s*", "-");
        var ranges = new List<PortRange>();
        foreach (var item in text.Split([',', ';', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            ranges.Add(PortSet.TryParseRange(item, out var range)
                ? range
                : throw new RuleImportException(sourceName, cell.Line, cell.Column, $"\"{InputText.Escape(item)}\" is not a port (0-65535) or a range such as 5228-5230; write ports as 80,8080 or 80;8080 or 80 8080"));
        }

        return PortSet.FromRanges(ranges);
    }

    internal static Transport ParseTransport(string name, CsvCell at, string sourceName) => name.ToUpperInvariant() switch
    {
        "TCP" => Detection.Transport.Tcp,
        "UDP" => Detection.Transport.Udp,
        "OTHER" => Detection.Transport.Other,
        _ => throw new RuleImportException(sourceName, at.Line, at.Column, $"the transport \"{InputText.Escape(name)}\" is not tcp, udp or other (other is every transport but tcp and udp; the library does not tell icmp from gre)"),
    };

    internal static IPNetworkValue Network(CsvCell cell, string sourceName)
        => IPNetworkValue.TryParse(cell.Text.Trim(), out var network)
            ? network
            : throw new RuleImportException(sourceName, cell.Line, cell.Column, $"\"{InputText.Escape(cell.Text.Trim())}\" is not an address or a CIDR block such as 10.0.0.0/8 or 2001:db8::/32");

    /// <summary>An app as the library prints it in rows and allow-lists hold it: a backslash as <c>\x5c</c>.</summary>
    internal static string Printed(string app) => app.Replace("\\", "\\x5c", StringComparison.Ordinal);

    private static string Slug(string app)
    {
        var text = new StringBuilder(app.Length);
        foreach (var c in app)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? char.ToLowerInvariant(c) : '_');
        }

        return text.ToString();
    }

    private static string UniqueId(string id, HashSet<string> ids)
    {
        var unique = id;
        for (var n = 2; !ids.Add(unique); n++)
        {
            unique = string.Create(CultureInfo.InvariantCulture, $"{id}-{n}");
        }

        return unique;
    }
}
