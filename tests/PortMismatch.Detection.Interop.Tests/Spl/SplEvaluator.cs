using System.Globalization;
using System.Net;
using System.Text;
using PortMismatch.Detection.Interop.Tests.Support;

namespace PortMismatch.Detection.Interop.Tests.Spl;

/// <summary>
/// A small, independent interpreter of the SPL the export writes, with Splunk's semantics, written from Splunk's
/// documentation and sharing no code with the exporter: the pipeline <c>| tstats ... where ... by ...</c>, <c>convert</c>
/// (formatting only, ignored), <c>rename "All_Traffic.*" as *</c>, <c>eval</c> (case, if, isnull, mvcount, mvfind, lower, true,
/// ==, &lt;, &gt;, AND, OR), <c>fields -</c>, a backtick macro call, and <c>search</c>. Boolean expressions: <c>field=value</c> (case
/// ignored; <c>*</c> alone for "has a value"; CIDR on <c>src_ip</c>/<c>dest_ip</c>), comparisons, <c>field IN (...)</c>,
/// NOT, OR, AND by juxtaposition or keyword, parentheses, with NOT before OR before AND. A multi-valued field matches when
/// any value does; <c>by</c> makes one group per value; an absent by-field is <c>null</c> (<c>fillnull_value=null</c>);
/// CIM's <c>dest_port</c> is 0 when absent.
/// </summary>
internal sealed class SplEvaluator
{
    private readonly List<string> _pipeline;
    private readonly Dictionary<string, string> _macros;

    private SplEvaluator(List<string> pipeline, Dictionary<string, string> macros)
    {
        _pipeline = pipeline;
        _macros = macros;
    }

    /// <summary>Reads an export's text: comment lines, the search (from <c>| tstats</c> to a blank line) and macros.conf stanzas.</summary>
    public static SplEvaluator FromExport(string text)
    {
        var lines = text.Split('\n');
        var search = new StringBuilder();
        var macros = new Dictionary<string, string>(StringComparer.Ordinal);
        string? stanza = null;
        var inSearch = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (inSearch)
            {
                if (line.Trim().Length == 0)
                {
                    inSearch = false;
                    continue;
                }

                search.Append(line).Append('\n');
                continue;
            }

            if (line.StartsWith("| tstats", StringComparison.Ordinal))
            {
                inSearch = true;
                search.Append(line).Append('\n');
                continue;
            }

            if (line.StartsWith('#') || line.Trim().Length == 0)
            {
                continue;
            }

            if (line.StartsWith('['))
            {
                stanza = line.Trim().TrimStart('[').TrimEnd(']');
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(stanza is not null && equals > 0, $"line {i + 1} is no conf setting: {line}");
            var key = line[..equals].Trim();
            var value = new StringBuilder(line[(equals + 1)..].Trim());
            while (value.Length > 0 && value[^1] == '\\' && i + 1 < lines.Length)
            {
                value.Length--;
                value.Append(' ').Append(lines[++i].Trim());
            }

            if (key == "definition")
            {
                macros[stanza!] = value.ToString();
            }
        }

        return new SplEvaluator(SplitPipeline(search.ToString()), macros);
    }

    /// <summary>Reads a search and the macros it calls.</summary>
    public static SplEvaluator FromSearch(string search, IReadOnlyDictionary<string, string> macros)
        => new(SplitPipeline(search), new Dictionary<string, string>(macros, StringComparer.Ordinal));

    /// <summary>Gets the where clause of the tstats command, as written.</summary>
    public string WhereClause
    {
        get
        {
            var tstats = _pipeline[0];
            var where = IndexOfWord(tstats, "where");
            var by = IndexOfWord(tstats, "by");
            return tstats[(where + 5)..by].Trim();
        }
    }

    /// <summary>Runs the search over the records; rows carry the seven ESCU columns (extra columns are dropped), sorted.</summary>
    public List<SampleRow> Run(IReadOnlyList<SampleRecord> records)
    {
        List<Dictionary<string, Value>>? rows = null;
        foreach (var command in _pipeline)
        {
            var (name, arguments) = SplitCommand(command);
            switch (name)
            {
                case "tstats":
                    Assert.Null(rows);
                    rows = Tstats(arguments, records);
                    break;
                case "convert":
                    break; // formats firstTime and lastTime as text; the rows are compared in microseconds
                case "rename":
                    Assert.Equal("\"All_Traffic.*\" as *", arguments);
                    rows = [.. rows!.Select(r => r.ToDictionary(p => p.Key.StartsWith("All_Traffic.", StringComparison.Ordinal) ? p.Key["All_Traffic.".Length..] : p.Key, p => p.Value, StringComparer.Ordinal))];
                    break;
                case "eval":
                    rows = Eval(arguments, rows!);
                    break;
                case "fields":
                    Assert.StartsWith("- ", arguments, StringComparison.Ordinal);
                    foreach (var field in arguments[2..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        rows!.ForEach(r => r.Remove(field));
                    }

                    break;
                case "search":
                    rows = Search(arguments, rows!);
                    break;
                default:
                    Assert.True(name.StartsWith('`') && name.EndsWith('`'), $"unknown command {name}");
                    var definition = _macros[name.Trim('`')];
                    var (macroCommand, macroArguments) = SplitCommand(definition);
                    Assert.Equal("search", macroCommand);
                    rows = Search(macroArguments, rows!);
                    break;
            }
        }

        return TrafficSample.Sorted(rows!.Select(r => new SampleRow(
            r["src_ip"].Text, r["dest_ip"].Text, r["app"].Text, int.Parse(r["dest_port"].Text, CultureInfo.InvariantCulture),
            (long)r["count"].Number, (long)r["firstTime"].Number, (long)r["lastTime"].Number)));
    }

    private static List<Dictionary<string, Value>> Search(string expression, List<Dictionary<string, Value>> rows)
    {
        var parsed = new Parser(Tokenize(expression)).ParseAll();
        return [.. rows.Where(r => parsed.Matches(field => r.TryGetValue(field, out var value) ? value.Values : []))];
    }

    private static List<Dictionary<string, Value>> Tstats(string arguments, IReadOnlyList<SampleRecord> records)
    {
        var where = IndexOfWord(arguments, "where");
        var by = IndexOfWord(arguments, "by");
        var from = IndexOfWord(arguments, "from");
        Assert.True(from > 0 && where > from && by > where, "tstats ... from ... where ... by ...");
        Assert.Equal("datamodel=Network_Traffic", arguments[(from + 4)..where].Trim());
        var head = arguments[..from];
        Assert.Contains("fillnull_value=null", head, StringComparison.Ordinal);
        var functions = head[head.IndexOf("count", StringComparison.Ordinal)..];
        var aggregates = ParseAggregates(functions);
        var condition = new Parser(Tokenize(arguments[(where + 5)..by])).ParseAll();
        var groupBy = arguments[(by + 2)..].Split(',', StringSplitOptions.TrimEntries);

        var groups = new Dictionary<string, Dictionary<string, Value>>(StringComparer.Ordinal);
        var accumulators = new Dictionary<string, List<Accumulator>>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var fields = Fields(record);
            string[] Get(string field) => fields.TryGetValue(field, out var values) ? values : [];
            if (!condition.Matches(Get))
            {
                continue;
            }

            // One group per combination of the by-fields' values (one per app value here); an absent field is "null".
            var keys = new List<List<string>> { new() };
            foreach (var field in groupBy)
            {
                var values = Get(field);
                keys = [.. keys.SelectMany(k => (values.Length == 0 ? ["null"] : values).Select(v => new List<string>(k) { v }))];
            }

            foreach (var key in keys)
            {
                var id = string.Join('\u0001', key);
                if (!groups.TryGetValue(id, out var row))
                {
                    row = new Dictionary<string, Value>(StringComparer.Ordinal);
                    for (var i = 0; i < groupBy.Length; i++)
                    {
                        row[groupBy[i]] = Value.Of(key[i]);
                    }

                    groups.Add(id, row);
                    accumulators.Add(id, [.. aggregates.Select(a => new Accumulator(a))]);
                }

                foreach (var accumulator in accumulators[id])
                {
                    accumulator.Add(record, Get);
                }
            }
        }

        foreach (var (id, row) in groups)
        {
            foreach (var accumulator in accumulators[id])
            {
                row[accumulator.Aggregate.Name] = accumulator.Result;
            }
        }

        return [.. groups.Values];
    }

    // The fields of a record as CIM Network_Traffic has them: dest_port 0 when absent, others absent when absent.
    private static Dictionary<string, string[]> Fields(SampleRecord record)
    {
        var fields = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            // An empty value is no value: a Splunk field extracted from a log has no empty values (the library skips them too).
            ["All_Traffic.app"] = [.. record.Apps.Where(a => a.Length > 0)],
            ["All_Traffic.dest_port"] = [(record.Port ?? 0).ToString(CultureInfo.InvariantCulture)],
            ["_time"] = [record.TimeMicroseconds.ToString(CultureInfo.InvariantCulture)],
        };
        if (record.Source is { } source)
        {
            fields["All_Traffic.src_ip"] = [source];
        }

        if (record.Destination is { } destination)
        {
            fields["All_Traffic.dest_ip"] = [destination];
        }

        if (record.TransportName is { } transport)
        {
            fields["All_Traffic.transport"] = [transport];
        }

        return fields;
    }

    private sealed record Aggregate(string Function, string? Field, string Name);

    private static List<Aggregate> ParseAggregates(string text)
    {
        var tokens = text.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var list = new List<Aggregate>();
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            var open = token.IndexOf('(', StringComparison.Ordinal);
            var function = open < 0 ? token : token[..open];
            var field = open < 0 ? null : token[(open + 1)..^1];
            var name = token;
            if (i + 2 < tokens.Length && tokens[i + 1] == "as")
            {
                name = tokens[i + 2];
                i += 2;
            }

            Assert.Contains(function, (string[])["count", "min", "max", "values"]);
            list.Add(new Aggregate(function, field, name));
        }

        return list;
    }

    private sealed class Accumulator(Aggregate aggregate)
    {
        private long _count;
        private double? _value;
        private readonly SortedSet<string> _values = new(StringComparer.Ordinal);

        public Aggregate Aggregate { get; } = aggregate;

        public void Add(SampleRecord record, Func<string, string[]> get)
        {
            var values = Aggregate.Field is null ? [] : get(Aggregate.Field);
            switch (Aggregate.Function)
            {
                case "count":
                    _count += Aggregate.Field is null ? 1 : values.Length; // count(field) counts present values only
                    break;
                case "min" or "max":
                    foreach (var v in values)
                    {
                        var number = double.Parse(v, CultureInfo.InvariantCulture);
                        _value = _value is null ? number : Aggregate.Function == "min" ? Math.Min(_value.Value, number) : Math.Max(_value.Value, number);
                    }

                    break;
                default:
                    _values.UnionWith(values); // values(): distinct, case-sensitive, absent values left out
                    break;
            }
        }

        public Value Result => Aggregate.Function switch
        {
            "count" => Value.Of(_count),
            "min" or "max" => _value is { } v ? Value.Of(v) : Value.None,
            _ => new Value([.. _values]),
        };
    }

    // ---- eval ----

    private static List<Dictionary<string, Value>> Eval(string arguments, List<Dictionary<string, Value>> rows)
    {
        var equals = arguments.IndexOf('=', StringComparison.Ordinal);
        var target = arguments[..equals].Trim();
        var expression = new EvalParser(Tokenize(arguments[(equals + 1)..])).ParseAll();
        foreach (var row in rows)
        {
            row[target] = expression(row);
        }

        return rows;
    }

    private sealed class EvalParser(List<Token> tokens)
    {
        private int _at;

        public Func<Dictionary<string, Value>, Value> ParseAll()
        {
            var expression = ParseOr();
            Assert.Equal(tokens.Count, _at);
            return expression;
        }

        private Func<Dictionary<string, Value>, Value> ParseOr()
        {
            var left = ParseAnd();
            while (_at < tokens.Count && tokens[_at].IsWord("OR"))
            {
                _at++;
                var (l, r) = (left, ParseAnd());
                left = row => Value.Of(l(row).IsTrue || r(row).IsTrue);
            }

            return left;
        }

        private Func<Dictionary<string, Value>, Value> ParseAnd()
        {
            var left = ParseComparison();
            while (_at < tokens.Count && tokens[_at].IsWord("AND"))
            {
                _at++;
                var (l, r) = (left, ParseComparison());
                left = row => Value.Of(l(row).IsTrue && r(row).IsTrue);
            }

            return left;
        }

        private Func<Dictionary<string, Value>, Value> ParseComparison()
        {
            var left = ParsePrimary();
            if (_at < tokens.Count && tokens[_at].Kind == TokenKind.Operator)
            {
                var op = tokens[_at++].Text;
                var right = ParsePrimary();
                var l = left;
                return op switch
                {
                    "==" or "=" => row => Value.Of(l(row).SingleText is { } a && right(row).SingleText is { } b && Compare(a, b) == 0),
                    "<" => row => Value.Of(l(row).SingleText is { } a && right(row).SingleText is { } b && Compare(a, b) < 0),
                    ">" => row => Value.Of(l(row).SingleText is { } a && right(row).SingleText is { } b && Compare(a, b) > 0),
                    "!=" => row => Value.Of(l(row).SingleText is { } a && right(row).SingleText is { } b && Compare(a, b) != 0),
                    _ => throw new InvalidOperationException($"eval operator {op}"),
                };
            }

            return left;
        }

        private Func<Dictionary<string, Value>, Value> ParsePrimary()
        {
            var token = tokens[_at++];
            if (token.Kind == TokenKind.Open)
            {
                var inner = ParseOr();
                Assert.Equal(TokenKind.Close, tokens[_at++].Kind);
                return inner;
            }

            if (token.Kind == TokenKind.Quoted)
            {
                var text = token.Text;
                return _ => Value.Of(text);
            }

            Assert.Equal(TokenKind.Word, token.Kind);
            if (_at < tokens.Count && tokens[_at].Kind == TokenKind.Open)
            {
                _at++;
                var arguments = new List<Func<Dictionary<string, Value>, Value>>();
                while (tokens[_at].Kind != TokenKind.Close)
                {
                    arguments.Add(ParseOr());
                    if (tokens[_at].Kind == TokenKind.Comma)
                    {
                        _at++;
                    }
                }

                _at++;
                return Function(token.Text, arguments);
            }

            if (double.TryParse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return _ => Value.Of(number);
            }

            var field = token.Text;
            return row => row.TryGetValue(field, out var value) ? value : Value.None;
        }

        private static Func<Dictionary<string, Value>, Value> Function(string name, List<Func<Dictionary<string, Value>, Value>> arguments) => name switch
        {
            "true" => _ => Value.Of(true),
            "isnull" => row => Value.Of(arguments[0](row).Values.Length == 0),
            "mvfind" => row =>
            {
                // the index of the first value the regular expression matches, or null
                var values = arguments[0](row).Values;
                var pattern = arguments[1](row).Text;
                var index = Array.FindIndex(values, v => System.Text.RegularExpressions.Regex.IsMatch(v, pattern));
                return index < 0 ? Value.None : Value.Of(index);
            },
            "lower" => row => new Value([.. arguments[0](row).Values.Select(v => v.ToLowerInvariant())]),
            "mvcount" => row => arguments[0](row).Values.Length is var n and > 0 ? Value.Of(n) : Value.None,
            "if" => row => arguments[0](row).IsTrue ? arguments[1](row) : arguments[2](row),
            "case" => row =>
            {
                for (var i = 0; i + 1 < arguments.Count; i += 2)
                {
                    if (arguments[i](row).IsTrue)
                    {
                        return arguments[i + 1](row);
                    }
                }

                return Value.None;
            },
            _ => throw new InvalidOperationException($"eval function {name}"),
        };
    }

    // ---- boolean search expressions ----

    private abstract class Condition
    {
        public abstract bool Matches(Func<string, string[]> get);
    }

    private sealed class AndCondition(List<Condition> operands) : Condition
    {
        public override bool Matches(Func<string, string[]> get) => operands.All(o => o.Matches(get));
    }

    private sealed class OrCondition(List<Condition> operands) : Condition
    {
        public override bool Matches(Func<string, string[]> get) => operands.Any(o => o.Matches(get));
    }

    private sealed class NotCondition(Condition operand) : Condition
    {
        public override bool Matches(Func<string, string[]> get) => !operand.Matches(get);
    }

    private sealed class AllCondition : Condition
    {
        public override bool Matches(Func<string, string[]> get) => true;
    }

    private sealed class FieldCondition(string field, string op, List<string> values) : Condition
    {
        public override bool Matches(Func<string, string[]> get)
        {
            var actual = get(field);
            return actual.Any(a => values.Any(v => op switch
            {
                "=" or "IN" => EqualsValue(field, a, v),
                ">=" => Compare(a, v) >= 0,
                "<=" => Compare(a, v) <= 0,
                ">" => Compare(a, v) > 0,
                "<" => Compare(a, v) < 0,
                _ => throw new InvalidOperationException($"operator {op}"),
            }));
        }

        private static bool EqualsValue(string field, string actual, string expected)
        {
            if (expected == "*")
            {
                return true; // field=* : the field has a value
            }

            Assert.DoesNotContain('*', expected); // the export writes no other wildcard
            if ((field.EndsWith("src_ip", StringComparison.Ordinal) || field.EndsWith("dest_ip", StringComparison.Ordinal)) && expected.Contains('/', StringComparison.Ordinal))
            {
                return InCidr(actual, expected);
            }

            return IsNumber(actual) && IsNumber(expected)
                ? Compare(actual, expected) == 0
                : string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase);
        }
    }

    private sealed class Parser(List<Token> tokens)
    {
        private int _at;

        public Condition ParseAll()
        {
            var condition = ParseAnd();
            Assert.True(_at == tokens.Count, $"unexpected {(_at < tokens.Count ? tokens[_at].Text : "end")}");
            return condition;
        }

        // AND (juxtaposition or the keyword) binds loosest, then OR, then NOT.
        private Condition ParseAnd()
        {
            var operands = new List<Condition>();
            while (_at < tokens.Count && tokens[_at].Kind != TokenKind.Close)
            {
                if (tokens[_at].IsWord("AND"))
                {
                    _at++;
                    continue;
                }

                operands.Add(ParseOr());
            }

            Assert.NotEmpty(operands);
            return operands.Count == 1 ? operands[0] : new AndCondition(operands);
        }

        private Condition ParseOr()
        {
            var operands = new List<Condition> { ParseNot() };
            while (_at < tokens.Count && tokens[_at].IsWord("OR"))
            {
                _at++;
                operands.Add(ParseNot());
            }

            return operands.Count == 1 ? operands[0] : new OrCondition(operands);
        }

        private Condition ParseNot()
        {
            if (tokens[_at].IsWord("NOT"))
            {
                _at++;
                return new NotCondition(ParseNot());
            }

            if (tokens[_at].Kind == TokenKind.Open)
            {
                _at++;
                var inner = ParseAnd();
                Assert.Equal(TokenKind.Close, tokens[_at++].Kind);
                return inner;
            }

            var field = tokens[_at++];
            if (field.Kind == TokenKind.Word && field.Text == "*")
            {
                return new AllCondition();
            }

            Assert.Equal(TokenKind.Word, field.Kind);
            if (tokens[_at].IsWord("IN"))
            {
                _at++;
                Assert.Equal(TokenKind.Open, tokens[_at++].Kind);
                var values = new List<string>();
                while (tokens[_at].Kind != TokenKind.Close)
                {
                    var value = tokens[_at++];
                    Assert.True(value.Kind is TokenKind.Word or TokenKind.Quoted);
                    values.Add(value.Text);
                    if (tokens[_at].Kind == TokenKind.Comma)
                    {
                        _at++;
                    }
                }

                _at++;
                return new FieldCondition(field.Text, "IN", values);
            }

            var op = tokens[_at++];
            Assert.Equal(TokenKind.Operator, op.Kind);
            var operand = tokens[_at++];
            Assert.True(operand.Kind is TokenKind.Word or TokenKind.Quoted, $"a value after {field.Text}{op.Text}");
            return new FieldCondition(field.Text, op.Text, [operand.Text]);
        }
    }

    // ---- tokens ----

    private enum TokenKind
    {
        Word,
        Quoted,
        Operator,
        Open,
        Close,
        Comma,
    }

    private sealed record Token(TokenKind Kind, string Text)
    {
        public bool IsWord(string keyword) => Kind == TokenKind.Word && Text == keyword;
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '(')
            {
                tokens.Add(new Token(TokenKind.Open, "("));
                i++;
            }
            else if (c == ')')
            {
                tokens.Add(new Token(TokenKind.Close, ")"));
                i++;
            }
            else if (c == ',')
            {
                tokens.Add(new Token(TokenKind.Comma, ","));
                i++;
            }
            else if (c == '"')
            {
                var value = new StringBuilder();
                i++;
                while (text[i] != '"')
                {
                    if (text[i] == '\\')
                    {
                        i++;
                    }

                    value.Append(text[i++]);
                }

                i++;
                tokens.Add(new Token(TokenKind.Quoted, value.ToString()));
            }
            else if (c is '=' or '<' or '>' or '!')
            {
                var length = i + 1 < text.Length && text[i + 1] == '=' ? 2 : 1;
                tokens.Add(new Token(TokenKind.Operator, text.Substring(i, length)));
                i += length;
            }
            else
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')' or ',' or '=' or '<' or '>' or '!' or '"'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Word, text[start..i]));
            }
        }

        return tokens;
    }

    // ---- helpers ----

    private static List<string> SplitPipeline(string search)
    {
        // Pipes inside quotes are text; every command here starts with "|".
        var commands = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < search.Length; i++)
        {
            var c = search[i];
            if (c == '\\' && quoted)
            {
                current.Append(c).Append(search[++i]);
                continue;
            }

            if (c == '"')
            {
                quoted = !quoted;
            }

            if (c == '|' && !quoted)
            {
                if (current.ToString().Trim().Length > 0)
                {
                    commands.Add(current.ToString().Trim());
                }

                current.Clear();
                continue;
            }

            current.Append(c);
        }

        if (current.ToString().Trim().Length > 0)
        {
            commands.Add(current.ToString().Trim());
        }

        return commands;
    }

    private static (string Name, string Arguments) SplitCommand(string command)
    {
        var space = command.IndexOfAny([' ', '\n']);
        return space < 0 ? (command, string.Empty) : (command[..space], command[(space + 1)..].Trim());
    }

    // The index of a keyword standing alone (outside quotes), or -1.
    private static int IndexOfWord(string text, string word)
    {
        var quoted = false;
        for (var i = 0; i + word.Length <= text.Length; i++)
        {
            if (text[i] == '\\' && quoted)
            {
                i++;
                continue;
            }

            if (text[i] == '"')
            {
                quoted = !quoted;
                continue;
            }

            if (!quoted && string.CompareOrdinal(text, i, word, 0, word.Length) == 0
                && (i == 0 || char.IsWhiteSpace(text[i - 1])) && (i + word.Length == text.Length || char.IsWhiteSpace(text[i + word.Length])))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsNumber(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static int Compare(string a, string b)
        => IsNumber(a) && IsNumber(b)
            ? double.Parse(a, CultureInfo.InvariantCulture).CompareTo(double.Parse(b, CultureInfo.InvariantCulture))
            : string.Compare(a, b, StringComparison.Ordinal);

    // CIDR matching written here from the definition: the first prefix bits of the address equal the network's.
    private static bool InCidr(string address, string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (!IPAddress.TryParse(address, out var ip) || !IPAddress.TryParse(cidr[..slash], out var network))
        {
            return false;
        }

        var bits = int.Parse(cidr[(slash + 1)..], CultureInfo.InvariantCulture);
        var a = ip.GetAddressBytes();
        var n = network.GetAddressBytes();
        if (a.Length != n.Length)
        {
            return false;
        }

        for (var bit = 0; bit < bits; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (n[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A field's value: zero, one or several texts (numbers kept as text, as Splunk does).</summary>
    private sealed class Value(string[] values)
    {
        public static Value None { get; } = new([]);

        public string[] Values { get; } = values;

        public string Text => Values.Length == 1 ? Values[0] : throw new InvalidOperationException($"{Values.Length} values");

        public string? SingleText => Values.Length == 1 ? Values[0] : null;

        public double Number => double.Parse(Text, CultureInfo.InvariantCulture);

        public bool IsTrue => Values is ["true"];

        public static Value Of(string text) => new([text]);

        public static Value Of(double number) => new([number.ToString("R", CultureInfo.InvariantCulture)]);

        public static Value Of(bool value) => new([value ? "true" : "false"]);
    }
}
