using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PortMismatch.Detection.Tests.Output;

/// <summary>
/// Values from the wire cannot steer a terminal through the table (controls, bidi and other format characters are shown
/// escaped) nor run a formula in a spreadsheet through the CSV (OWASP "CSV injection"), while ordinary app names are
/// written byte for byte as the search writes them.
/// </summary>
public sealed class OutputEscapingTests
{
    private const int Seed = 20261216;

    private static MismatchRow Row(string app, DetectionRule? rule = null)
        => new(IPAddressValue.Parse("10.0.0.1"), IPAddressValue.Parse("192.0.2.66"), app, 4444, 3, 1_700_000_000_000_000, 1_700_000_000_000_000, rule, [Transport.Tcp]);

    private static string Write(RowWriter writer, ArrayBufferWriter<byte> buffer, params MismatchRow[] rows)
    {
        foreach (var row in rows)
        {
            writer.OnRow(row);
        }

        writer.Flush();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Table(params MismatchRow[] rows)
    {
        var buffer = new ArrayBufferWriter<byte>();
        return Write(new TableRowWriter(buffer, new RowWriterOptions { IncludeHeader = false }), buffer, rows);
    }

    private static string Csv(params MismatchRow[] rows)
    {
        var buffer = new ArrayBufferWriter<byte>();
        return Write(new CsvRowWriter(buffer, new RowWriterOptions { IncludeHeader = false }), buffer, rows);
    }

    private static bool IsHidden(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate;

    [Theory]
    [InlineData("\u001b[2Jx", "\\x1b[2Jx")] // C0: ESC starts a control sequence
    [InlineData("a\u007fb", "a\\x7fb")] // DEL
    [InlineData("\u009b2J", "\\xc2\\x9b2J")] // C1: CSI in one character
    [InlineData("x\u0085y", "x\\xc2\\x85y")] // C1: next line
    [InlineData("abc\u202Egpj.exe", "abc\\xe2\\x80\\xaegpj.exe")] // right-to-left override
    [InlineData("\u202Ax\u202C", "\\xe2\\x80\\xaax\\xe2\\x80\\xac")] // left-to-right embedding, pop
    [InlineData("\u2067x\u2069", "\\xe2\\x81\\xa7x\\xe2\\x81\\xa9")] // right-to-left isolate, pop
    [InlineData("\u200Fx\u061C", "\\xe2\\x80\\x8fx\\xd8\\x9c")] // right-to-left mark, Arabic letter mark
    [InlineData("s\u200Bsl", "s\\xe2\\x80\\x8bsl")] // zero-width space
    [InlineData("\uFEFFdns", "\\xef\\xbb\\xbfdns")] // byte-order mark
    [InlineData("dns\U000E0041", "dns\\xf3\\xa0\\x81\\x81")] // a tag character
    [InlineData("a\u2028b\u2029", "a\\xe2\\x80\\xa8b\\xe2\\x80\\xa9")] // line and paragraph separators
    [InlineData("\u0378", "\\xcd\\xb8")] // unassigned
    public void The_table_shows_what_could_steer_a_terminal_escaped(string app, string shown)
    {
        var line = Table(Row(app, new DetectionRule(app, "n", ["dns"], PortSet.Of(53)))).TrimEnd('\n');

        Assert.Contains("  " + shown + " ", line, StringComparison.Ordinal);
        Assert.Contains("  " + shown + "  ", line, StringComparison.Ordinal); // the rule id comes from a rule file: escaped too
        Assert.EndsWith("  " + shown + " on tcp/4444, expected 53", line, StringComparison.Ordinal); // the reason names the app
        for (var i = 0; i < line.Length; i += char.IsSurrogatePair(line, i) ? 2 : 1)
        {
            Assert.False(Rune.TryGetRuneAt(line, i, out var rune) && IsHidden(rune), $"U+{(int)line[i]:X4} at {i} in '{line}'");
            Assert.False(char.IsSurrogate(line[i]) && !char.IsSurrogatePair(line, i), $"a lone surrogate at {i}");
        }
    }

    [Fact]
    public void The_table_shows_a_lone_surrogate_escaped()
    {
        // Only a caller's own row can hold one (theory data would not carry it intact).
        Assert.Contains("  x\\ud800y ", Table(Row("x\ud800y")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_table_keeps_printable_names_in_any_script()
    {
        foreach (var app in new[] { "ssl", "ms-rdp", "HTTP.Google", "Ünicode café", "日本語", "עברית", "😀" })
        {
            Assert.StartsWith("10.0.0.1  192.0.2.66  " + app + " ", Table(Row(app)), StringComparison.Ordinal); // columns as wide as their values
        }
    }

    [Theory]
    [InlineData("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(1,2)", "\"'@SUM(1,2)\"")]
    [InlineData("  =1", "'  =1")]
    [InlineData("\uFF1D1+1", "'\uFF1D1+1")]
    [InlineData("'=1", "''=1")]
    [InlineData("\"=1\"", "\"'\"\"=1\"\"\"")]
    [InlineData("x;=1;y", "x;'=1;y")]
    [InlineData("x; -1", "x;' -1")]
    [InlineData("x\t@y", "x\t'@y")]
    [InlineData("x\n=1", "\"x\n'=1\"")]
    [InlineData("\t=1", "'\t'=1")]
    public void Csv_puts_a_quote_before_every_place_a_spreadsheet_could_start_a_formula(string app, string field)
    {
        var line = Csv(Row(app));

        Assert.StartsWith("10.0.0.1,192.0.2.66," + field + ",4444,", line, StringComparison.Ordinal);
        Assert.Empty(FormulaCells(line));
    }

    /// <summary>The cells of CSV text read with the comma and RFC 4180 quotes (line feeds end records).</summary>
    private static List<string> CommaCells(string text)
    {
        var cells = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted && c == '"' && i + 1 < text.Length && text[i + 1] == '"')
            {
                field.Append('"');
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c is ',' or '\n')
            {
                cells.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        cells.Add(field.ToString());
        return cells;
    }

    /// <summary>
    /// The cells of CSV text that a spreadsheet would run as formulas, under each delimiter setting: the comma with RFC 4180
    /// quotes, and semicolon or tab, which split lines at their own delimiter and at line breaks, quotes or not.
    /// </summary>
    private static List<string> FormulaCells(string text)
    {
        var cells = CommaCells(text);
        foreach (var delimiter in new[] { ';', '\t' })
        {
            cells.AddRange(text.Split(['\r', '\n', delimiter]).Select(cell => cell.StartsWith('"') ? cell[1..] : cell));
        }

        return cells.Where(cell => cell.TrimStart(' ') is ['=' or '+' or '-' or '@' or '\uFF1D' or '\uFF0B' or '\uFF0D' or '\uFF20', ..]).ToList();
    }

    /// <summary>Reverses the CSV's neutralising: drops the <c>'</c> at the field's start and after each ; tab CR LF.</summary>
    private static string Restore(string field)
    {
        var text = new StringBuilder();
        var cellStart = true;
        foreach (var c in field)
        {
            if (!(cellStart && c == '\''))
            {
                text.Append(c);
            }

            cellStart = c is ';' or '\t' or '\r' or '\n';
        }

        return text.ToString();
    }

    /// <summary>The CSV field as the search writes it: quoted per RFC 4180 when it holds a comma, a quote or a line break.</summary>
    private static string SearchField(string value)
        => value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    [Fact]
    public void Ordinary_names_are_written_byte_for_byte_as_the_search_writes_them()
    {
        // Names made of letters, digits and the punctuation app names use, formula characters and commas included, as long
        // as no cell could start with a formula character.
        const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+@=/:()&, \"éü日";
        var random = new Random(Seed);
        for (var i = 0; i < 20_000; i++)
        {
            var app = new string(Enumerable.Range(0, random.Next(1, 80)).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray());
            if (app.TrimStart(' ') is ['=' or '+' or '-' or '@' or '"', ..] || app.TrimStart(' ').Length == 0)
            {
                continue;
            }

            var expected = Encoding.UTF8.GetBytes($"10.0.0.1,192.0.2.66,{SearchField(app)},4444,3,2023-11-14T22:13:20,2023-11-14T22:13:20\n");
            Assert.True(expected.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(Csv(Row(app)))), $"seed {Seed}: '{app}'");
        }
    }

    [Fact]
    public void Any_value_is_formula_free_in_csv_and_restored_by_dropping_the_added_quotes()
    {
        const string Alphabet = "ab=+-@'\" ;\t\r\n,\uFF1D\0";
        var random = new Random(Seed);
        for (var i = 0; i < 20_000; i++)
        {
            var app = new string(Enumerable.Range(0, random.Next(1, 12)).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray());
            var line = Csv(Row(app));

            Assert.True(FormulaCells(line).Count == 0, $"seed {Seed}: '{app}' gives a formula cell in {line}");
            Assert.Equal(app, Restore(CommaCells(line)[2]));
        }
    }

    [Fact]
    public void Json_lines_keep_the_value_exact()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var app = "=cmd|' /C calc'!A0;\u202E\u009b";
        var text = Write(new JsonLinesRowWriter(buffer), buffer, Row(app));

        using var json = JsonDocument.Parse(text);
        Assert.Equal(app, json.RootElement.GetProperty("app").GetString());
        Assert.DoesNotContain('\u202E', text);
        Assert.DoesNotContain('\u009b', text);
    }

    [Fact]
    public void Csv_rows_take_the_short_path_and_the_general_one_alike()
    {
        // The short path writes rows of short names in one span; a window column sends the same row the general way.
        foreach (var app in new[] { "ssl", "-ssl", " =x", "a;b", "x,y", "é" })
        {
            var buffer = new ArrayBufferWriter<byte>();
            var windowed = Write(new CsvRowWriter(buffer, new RowWriterOptions { IncludeHeader = false, IncludeWindow = true }), buffer, Row(app));
            Assert.Equal(windowed[..windowed.LastIndexOf(",,", StringComparison.Ordinal)] + "\n", Csv(Row(app)));
        }
    }
}
