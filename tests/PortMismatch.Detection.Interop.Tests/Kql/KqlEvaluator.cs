using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PortMismatch.Detection.Interop.Tests.Kql;

/// <summary>
/// A small reading of exactly the KQL the export writes, written here from the language's documentation and sharing no code
/// with the exporter: a tabular pipeline (<c>where</c>, <c>extend</c>, <c>mv-apply ... on (...)</c>, <c>mv-expand</c>,
/// <c>summarize ... by</c>, <c>project</c>) over rows of columns, with KQL's null rules (<c>null == x</c> is false,
/// <c>null != x</c> true, <c>where</c> keeps only true, <c>not(null)</c> is null, and/or three-valued), <c>=</c>-free string
/// comparison (ordinal), <c>translate</c>, <c>split</c>, <c>coalesce</c> (first non-null, non-empty for strings),
/// <c>case</c>, <c>tolong</c> (an <c>int</c> column such as <c>DstPortNumber</c> is compared only after it), the IP range functions (null for a text that is not an address of their family). Anything else is an error,
/// so an export that strays from the subset fails the tests instead of being half read.
/// </summary>
internal sealed class KqlEvaluator
{
    private readonly List<Token> _tokens;
    private int _at;

    private KqlEvaluator(string query)
    {
        _tokens = Tokenize(query);
    }

    /// <summary>Parses and runs a query over a table; the query must start with <paramref name="tableName"/>.</summary>
    public static List<Dictionary<string, object?>> Run(string query, string tableName, IEnumerable<Dictionary<string, object?>> table)
    {
        var evaluator = new KqlEvaluator(query);
        var source = evaluator.Expect(TokenKind.Name).Text;
        if (source != tableName)
        {
            throw new FormatException($"The query reads {source}, not {tableName}.");
        }

        var operators = evaluator.ParsePipeline();
        if (evaluator.Peek.Kind != TokenKind.End)
        {
            throw new FormatException($"Unexpected '{evaluator.Peek.Text}' after the pipeline.");
        }

        return Apply(operators, [.. table]);
    }

    /// <summary>Gets the string literals of a query as KQL reads them (to check that escaping keeps values whole).</summary>
    public static List<string> StringLiterals(string query) => [.. Tokenize(query).Where(t => t.Kind == TokenKind.String).Select(t => t.Text)];

    private static List<Dictionary<string, object?>> Apply(List<Func<List<Dictionary<string, object?>>, List<Dictionary<string, object?>>>> operators, List<Dictionary<string, object?>> rows)
    {
        foreach (var op in operators)
        {
            rows = op(rows);
        }

        return rows;
    }

    private List<Func<List<Dictionary<string, object?>>, List<Dictionary<string, object?>>>> ParsePipeline()
    {
        var operators = new List<Func<List<Dictionary<string, object?>>, List<Dictionary<string, object?>>>>();
        while (Peek.Kind == TokenKind.Pipe)
        {
            _at++;
            var name = Expect(TokenKind.Name).Text;
            operators.Add(name switch
            {
                "where" => ParseWhere(),
                "extend" => ParseExtend(),
                "mv-expand" => ParseMvExpand(),
                "mv-apply" => ParseMvApply(),
                "summarize" => ParseSummarize(),
                "project" => ParseProject(),
                _ => throw new FormatException($"Operator '{name}' is not in the subset."),
            });
        }

        return operators;
    }

    private Func<List<Dictionary<string, object?>>, List<Dictionary<string, object?>>> ParseWhere()
    {
        var predicate = ParseExpression();
        return rows => [.. rows.Where(row => predicate(row) is true)];
    }

    private Func<List<Dictionary<string, object?>>, List<Dictionary<string, object?>>> ParseExtend()
    {
        var assignments = new List<(string Name, Func<Dictionary<string, object?>, object?> Value)>();
        do
        {
            var name = Expect(TokenKind.Name).Text;
            Expect(TokenKind.Assign);
            assignments.Add((name, ParseExpression()));
        }
        while (Accept(TokenKind.Comma));

        return rows =>
        {
            var result = new List<Dictionary<string, object?>>(rows.Count);
            foreach (var row in rows)
            {
                var copy = new Dictionary<string, object?>(row);
                foreach (var (name, value) in assignments)
                {
                    copy[name] = value(copy);
                }

                result.Add(copy);
            }

            return result;
        };
    }

    // Name = array to typeof(string): one row per element (an empty array gives none, a null one a single null), each
    // element cast to string (an element of another type is null). Column: the array's column when it is a bare column
    // reference (mv-apply removes that column from the input).
    private (string Name, Func<Dictionary<string, object?>, object?> Array, string? Column) ParseExpansion()
    {
        var name = Expect(TokenKind.Name).Text;
        Expect(TokenKind.Assign);
        var start = _at;
        var array = ParseExpression();
        var column = _at == start + 1 && _tokens[start].Kind == TokenKind.Name ? _tokens[start].Text : null;
        ExpectName("to");
        ExpectName("typeof");
        Expect(TokenKind.Open);
        ExpectName("string");
        Expect(TokenKind.Close);
        return (name, array, column);
    }

    private static IEnumerable<Dictionary<string, object?>> Expand(Dictionary<string, object?> row, string name, Func<Dictionary<string, object?>, object?> array)
    {
        switch (array(row))
        {
            case null:
                yield return new Dictionary<string, object?>(row) { [name] = null };
                break;
            case List<object?> items:
                foreach (var item in items)
                {
                    yield return new Dictionary<string, object?>(row) { [name] = item as string };
                }

                break;
            default:
                throw new FormatException("mv-expand of a value that is not an array.");
        }
    }

    private Func<List<Dictionary<string, object?>>, List<Dictionary<string, object?>>> ParseMvExpand()
    {
        var (name, array, _) = ParseExpansion();
        return rows => [.. rows.SelectMany(row => Expand(row, name, array))];
    }

    // mv-apply: the subquery runs on each row's expansion alone; each row of its result joins the outer row's columns.
    private Func<List<Dictionary<string, object?>>, List<Dictionary<string, object?>>> ParseMvApply()
    {
        var (name, array, column) = ParseExpansion();
        ExpectName("on");
        Expect(TokenKind.Open);
        var sub = ParseSubPipeline();
        Expect(TokenKind.Close);
        return rows =>
        {
            var result = new List<Dictionary<string, object?>>();
            foreach (var row in rows)
            {
                foreach (var output in Apply(sub, [.. Expand(row, name, array)]))
                {
                    // "If the expression is the name of a column in the input, the input column is removed from the input"
                    var joined = new Dictionary<string, object?>(row);
                    joined.Remove(name);
                    if (column is not null)
                    {
                        joined.Remove(column);
                    }

                    foreach (var (key, value) in output)
                    {
                        joined[key] = value;
                    }

                    result.Add(joined);
                }
            }

            return result;
        };
    }

    // The subquery of mv-apply: its first operator has no leading pipe.
    private List<Func<List<Dictionary<string, object?>>, List<Dictionary<string, object?>>>> ParseSubPipeline()
    {
        _tokens.Insert(_at, new Token(TokenKind.Pipe, "|"));
        return ParsePipeline();
    }

    private Func<List<Dictionary<string, object?>>, List<Dictionary<string, object?>>> ParseSummarize()
    {
        var aggregates = new List<(string Name, string Function, Func<Dictionary<string, object?>, object?>? Argument)>();
        do
        {
            var name = Expect(TokenKind.Name).Text;
            Expect(TokenKind.Assign);
            var function = Expect(TokenKind.Name).Text;
            Expect(TokenKind.Open);
            var argument = Peek.Kind == TokenKind.Close ? null : ParseExpression();
            Expect(TokenKind.Close);
            if (function is not ("count" or "min" or "max" or "make_set") || (function == "count") != (argument is null))
            {
                throw new FormatException($"Aggregate '{function}' is not in the subset.");
            }

            aggregates.Add((name, function, argument));
        }
        while (Accept(TokenKind.Comma));

        var keys = new List<(string Name, Func<Dictionary<string, object?>, object?> Value)>();
        if (Peek.Kind == TokenKind.Name && Peek.Text == "by")
        {
            _at++;
            do
            {
                var name = Expect(TokenKind.Name).Text;
                keys.Add((name, Accept(TokenKind.Assign) ? ParseExpression() : row => row[name]));
            }
            while (Accept(TokenKind.Comma));
        }

        return rows =>
        {
            var groups = new Dictionary<string, (object?[] Keys, List<Dictionary<string, object?>> Rows)>(StringComparer.Ordinal);
            var order = new List<string>();
            foreach (var row in rows)
            {
                var values = keys.Select(k => k.Value(row)).ToArray();
                var id = string.Join('\u0001', values.Select(v => v is null ? "\u0002" : Convert.ToString(v, CultureInfo.InvariantCulture)));
                if (!groups.TryGetValue(id, out var group))
                {
                    group = (values, []);
                    groups.Add(id, group);
                    order.Add(id);
                }

                group.Rows.Add(row);
            }

            if (keys.Count == 0 && order.Count == 0)
            {
                groups.Add(string.Empty, ([], []));
                order.Add(string.Empty); // summarize without by gives one row, even over no rows
            }

            var result = new List<Dictionary<string, object?>>();
            foreach (var id in order)
            {
                var (values, members) = groups[id];
                var output = new Dictionary<string, object?>();
                for (var k = 0; k < keys.Count; k++)
                {
                    output[keys[k].Name] = values[k];
                }

                foreach (var (name, function, argument) in aggregates)
                {
                    var inputs = argument is null ? [] : members.Select(argument).Where(v => v is not null).ToList();
                    output[name] = function switch
                    {
                        "count" => (long)members.Count,
                        "min" => inputs.Count == 0 ? null : inputs.Min(),
                        "max" => inputs.Count == 0 ? null : inputs.Max(),
                        _ => inputs.Distinct().ToList(),
                    };
                }

                result.Add(output);
            }

            return result;
        };
    }

    private Func<List<Dictionary<string, object?>>, List<Dictionary<string, object?>>> ParseProject()
    {
        var names = new List<string>();
        do
        {
            names.Add(Expect(TokenKind.Name).Text);
        }
        while (Accept(TokenKind.Comma));

        return rows => [.. rows.Select(row => names.ToDictionary(n => n, n => row.TryGetValue(n, out var v) ? v : throw new FormatException($"No column {n}.")))];
    }

    private Func<Dictionary<string, object?>, object?> ParseExpression() => ParseOr();

    private Func<Dictionary<string, object?>, object?> ParseOr()
    {
        var left = ParseAnd();
        while (Peek.Kind == TokenKind.Name && Peek.Text == "or")
        {
            _at++;
            var a = left;
            var b = ParseAnd();
            left = row => Or(a(row), b(row));
        }

        return left;
    }

    private Func<Dictionary<string, object?>, object?> ParseAnd()
    {
        var left = ParseComparison();
        while (Peek.Kind == TokenKind.Name && Peek.Text == "and")
        {
            _at++;
            var a = left;
            var b = ParseComparison();
            left = row => And(a(row), b(row));
        }

        return left;
    }

    private static object? Or(object? a, object? b) => a is true || b is true ? true : a is false && b is false ? false : null;

    private static object? And(object? a, object? b) => a is false || b is false ? false : a is true && b is true ? true : null;

    private Func<Dictionary<string, object?>, object?> ParseComparison()
    {
        var left = ParsePostfix();
        switch (Peek)
        {
            case { Kind: TokenKind.Equal }:
            {
                _at++;
                var right = ParsePostfix();
                return row => Equal(left(row), right(row));
            }

            case { Kind: TokenKind.NotEqual }:
            {
                _at++;
                var right = ParsePostfix();
                return row => Equal(left(row), right(row)) switch { true => false, false => true, _ => null };
            }

            case { Kind: TokenKind.Name, Text: "in" or "!in" }:
            {
                var negated = Next().Text == "!in";
                var list = ParseList();
                return row =>
                {
                    var value = left(row);
                    if (value is null)
                    {
                        return negated; // null is equal to no value of the list
                    }

                    var found = list.Any(item => Equal(value, item(row)) is true);
                    return found != negated;
                };
            }

            case { Kind: TokenKind.Name, Text: "between" }:
            {
                _at++;
                Expect(TokenKind.Open);
                var low = ParsePostfix();
                Expect(TokenKind.Range);
                var high = ParsePostfix();
                Expect(TokenKind.Close);
                return row => left(row) is long value && low(row) is long a && high(row) is long b ? value >= a && value <= b : null;
            }

            case { Kind: TokenKind.Name, Text: "contains" }:
            {
                _at++;
                var right = ParsePostfix();
                return row => left(row) is string s && right(row) is string t ? s.Contains(t, StringComparison.OrdinalIgnoreCase) : null;
            }

            default:
                return left;
        }
    }

    private static object? Equal(object? a, object? b) => (a, b) switch
    {
        (null, null) => null,
        (null, _) or (_, null) => false,
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (long x, long y) => x == y,
        (bool x, bool y) => x == y,
        _ => throw new FormatException($"Cannot compare {a.GetType().Name} with {b.GetType().Name}."),
    };

    private List<Func<Dictionary<string, object?>, object?>> ParseList(bool expressions = false)
    {
        Expect(TokenKind.Open);
        var items = new List<Func<Dictionary<string, object?>, object?>>();
        if (Peek.Kind != TokenKind.Close)
        {
            do
            {
                items.Add(expressions ? ParseExpression() : ParsePostfix());
            }
            while (Accept(TokenKind.Comma));
        }

        Expect(TokenKind.Close);
        return items;
    }

    private Func<Dictionary<string, object?>, object?> ParsePostfix()
    {
        var value = ParsePrimary();
        while (Accept(TokenKind.OpenBracket))
        {
            var target = value;
            var index = ParseExpression();
            Expect(TokenKind.CloseBracket);
            value = row => target(row) is List<object?> list && index(row) is long i && i >= 0 && i < list.Count ? list[(int)i] : null;
        }

        return value;
    }

    private Func<Dictionary<string, object?>, object?> ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.String:
                return _ => token.Text;
            case TokenKind.Number:
                var number = long.Parse(token.Text, CultureInfo.InvariantCulture);
                return _ => number;
            case TokenKind.Open:
                var inner = ParseExpression();
                Expect(TokenKind.Close);
                return inner;
            case TokenKind.Name when token.Text is "true" or "false":
                var flag = token.Text == "true";
                return _ => flag;
            case TokenKind.Name when Peek.Kind == TokenKind.Open:
                return ParseCall(token.Text);
            case TokenKind.Name:
                return row => row.TryGetValue(token.Text, out var value) ? value : throw new FormatException($"No column {token.Text}.");
            default:
                throw new FormatException($"Unexpected '{token.Text}'.");
        }
    }

    private Func<Dictionary<string, object?>, object?> ParseCall(string name)
    {
        if (name == "dynamic")
        {
            Expect(TokenKind.Open);
            Expect(TokenKind.OpenBracket);
            var items = new List<object?>();
            if (Peek.Kind != TokenKind.CloseBracket)
            {
                do
                {
                    items.Add(Expect(TokenKind.String).Text);
                }
                while (Accept(TokenKind.Comma));
            }

            Expect(TokenKind.CloseBracket);
            Expect(TokenKind.Close);
            return _ => items;
        }

        var arguments = ParseList(expressions: true);
        object? Arg(Dictionary<string, object?> row, int i) => arguments[i](row);
        void Count(int n)
        {
            if (arguments.Count != n)
            {
                throw new FormatException($"{name} takes {n} arguments.");
            }
        }

        switch (name)
        {
            case "not":
                Count(1);
                return row => Arg(row, 0) switch { true => false, false => true, _ => null };
            case "isempty":
                Count(1);
                return row => Arg(row, 0) is null or "";
            case "isnotempty":
                Count(1);
                return row => Arg(row, 0) is not (null or "");
            case "tostring":
                Count(1);
                return row => Arg(row, 0) switch { null => string.Empty, string s => s, var v => Convert.ToString(v, CultureInfo.InvariantCulture) };
            case "tolong":
                Count(1);
                return row => Arg(row, 0) switch
                {
                    null => null,
                    long l => l,
                    int i => (long)i,
                    string t => long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed : null,
                    var v => throw new FormatException($"tolong of {v.GetType().Name}."),
                };
            case "coalesce":
                return row =>
                {
                    var values = arguments.Select(a => a(row)).ToList();
                    if (values.Where(v => v is not null).Select(v => v!.GetType()).Distinct().Count() > 1)
                    {
                        throw new FormatException("coalesce takes arguments of one type.");
                    }

                    return values.FirstOrDefault(v => v is not (null or ""));
                };
            case "case":
                if (arguments.Count % 2 == 0)
                {
                    throw new FormatException("case needs an else value.");
                }

                return row =>
                {
                    for (var i = 0; i + 1 < arguments.Count; i += 2)
                    {
                        if (Arg(row, i) is true)
                        {
                            return Arg(row, i + 1);
                        }
                    }

                    return Arg(row, arguments.Count - 1);
                };
            case "translate":
                Count(3);
                return row => Translate((string)Arg(row, 0)!, (string)Arg(row, 1)!, Arg(row, 2) as string ?? string.Empty);
            case "split":
                Count(2);
                return row => (Arg(row, 0) as string ?? string.Empty).Split((string)Arg(row, 1)!).Cast<object?>().ToList();
            case "array_length":
                Count(1);
                return row => Arg(row, 0) is List<object?> list ? (long)list.Count : null;
            case "set_intersect":
                Count(2);
                return row => Arg(row, 0) is List<object?> a && Arg(row, 1) is List<object?> b ? a.Distinct().Where(b.Contains).ToList() : null;
            case "ipv4_is_in_range":
                Count(2);
                return row => InRange(Arg(row, 0) as string, Arg(row, 1) as string, AddressFamily.InterNetwork);
            case "ipv6_is_in_range":
                Count(2);
                return row => InRange(Arg(row, 0) as string, Arg(row, 1) as string, AddressFamily.InterNetworkV6);
            default:
                throw new FormatException($"Function '{name}' is not in the subset.");
        }
    }

    // translate(searchList, replacementList, source): each character of source found in searchList becomes the character at
    // the same place in replacementList (its last character when shorter; removed when it is empty).
    private static string Translate(string search, string replacement, string source)
    {
        var text = new StringBuilder(source.Length);
        foreach (var c in source)
        {
            var at = search.IndexOf(c, StringComparison.Ordinal);
            if (at < 0)
            {
                text.Append(c);
            }
            else if (replacement.Length > 0)
            {
                text.Append(replacement[Math.Min(at, replacement.Length - 1)]);
            }
        }

        return text.ToString();
    }

    // Null when either text is not an address of the family (KQL: "null if conversion ... wasn't successful").
    private static object? InRange(string? address, string? range, AddressFamily family)
    {
        var slash = range?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (address is null || range is null || slash < 0)
        {
            return null;
        }

        if (!TryParse(address, family, out var a) || !TryParse(range[..slash], family, out var network)
            || !int.TryParse(range[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > a.Length * 8)
        {
            return null;
        }

        for (var bit = 0; bit < prefix; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (network[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryParse(string text, AddressFamily family, out byte[] bytes)
    {
        bytes = [];
        if (family == AddressFamily.InterNetwork)
        {
            // dotted quad only: four decimal numbers 0-255
            var parts = text.Split('.');
            if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || int.Parse(p, CultureInfo.InvariantCulture) > 255))
            {
                return false;
            }

            bytes = [.. parts.Select(p => byte.Parse(p, CultureInfo.InvariantCulture))];
            return true;
        }

        if (!text.Contains(':', StringComparison.Ordinal) || !IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        bytes = address.GetAddressBytes();
        return true;
    }

    private Token Peek => _tokens[_at];

    private Token Next() => _tokens[_at++];

    private bool Accept(TokenKind kind)
    {
        if (Peek.Kind != kind)
        {
            return false;
        }

        _at++;
        return true;
    }

    private Token Expect(TokenKind kind) => Peek.Kind == kind ? Next() : throw new FormatException($"Expected {kind}, found '{Peek.Text}' (token {_at}).");

    private void ExpectName(string name)
    {
        if (Expect(TokenKind.Name).Text != name)
        {
            throw new FormatException($"Expected '{name}'.");
        }
    }

    private static List<Token> Tokenize(string query)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < query.Length)
        {
            var c = query[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '/' && i + 1 < query.Length && query[i + 1] == '/')
            {
                while (i < query.Length && query[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '"')
            {
                var text = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= query.Length || query[i] is '\n' or '\r')
                    {
                        throw new FormatException("A string literal is not closed on its line.");
                    }

                    if (query[i] == '"')
                    {
                        i++;
                        break;
                    }

                    if (query[i] == '\\')
                    {
                        text.Append(query[i + 1] switch
                        {
                            '"' => '"',
                            '\\' => '\\',
                            't' => '\t',
                            'n' => '\n',
                            var e => throw new FormatException($"Escape \\{e} is not in the subset."),
                        });
                        i += 2;
                    }
                    else
                    {
                        text.Append(query[i++]);
                    }
                }

                tokens.Add(new Token(TokenKind.String, text.ToString()));
            }
            else if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < query.Length && char.IsAsciiDigit(query[i]))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Number, query[start..i]));
            }
            else if (char.IsAsciiLetter(c) || c == '_' || (c == '!' && query.AsSpan(i).StartsWith("!in ")))
            {
                var start = i++;
                while (i < query.Length && (char.IsAsciiLetterOrDigit(query[i]) || query[i] == '_' || (query[i] == '-' && i + 1 < query.Length && char.IsAsciiLetter(query[i + 1]) && query[start..i] == "mv")))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Name, query[start..i]));
            }
            else
            {
                var two = i + 1 < query.Length ? query.Substring(i, 2) : string.Empty;
                (TokenKind Kind, int Length) symbol = two switch
                {
                    "==" => (TokenKind.Equal, 2),
                    "!=" => (TokenKind.NotEqual, 2),
                    ".." => (TokenKind.Range, 2),
                    _ => c switch
                    {
                        '|' => (TokenKind.Pipe, 1),
                        '(' => (TokenKind.Open, 1),
                        ')' => (TokenKind.Close, 1),
                        '[' => (TokenKind.OpenBracket, 1),
                        ']' => (TokenKind.CloseBracket, 1),
                        ',' => (TokenKind.Comma, 1),
                        '=' => (TokenKind.Assign, 1),
                        _ => throw new FormatException($"Unexpected character '{c}' at {i}."),
                    },
                };
                tokens.Add(new Token(symbol.Kind, query.Substring(i, symbol.Length)));
                i += symbol.Length;
            }
        }

        tokens.Add(new Token(TokenKind.End, string.Empty));
        return tokens;
    }

    private enum TokenKind
    {
        Name,
        String,
        Number,
        Pipe,
        Open,
        Close,
        OpenBracket,
        CloseBracket,
        Comma,
        Assign,
        Equal,
        NotEqual,
        Range,
        End,
    }

    private sealed record Token(TokenKind Kind, string Text);
}
