using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PortMismatch.Detection.Interop.Splunk;

/// <summary>
/// Reads the <c>[protocol_or_port_mismatch_filter]</c> stanza of a macros.conf as an allow-list (see
/// <see cref="SplunkImport.ReadFilterMacro"/>). The definition is parsed with Splunk's precedence (NOT, then OR, then
/// AND); every character keeps its line and column in the file, so errors point into the continued lines.
/// </summary>
internal static partial class SplunkMacro
{
    private const string Stanza = "[protocol_or_port_mismatch_filter]";

    public static AllowList Read(string conf, string sourceName)
    {
        var lines = conf.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var start = Array.FindIndex(lines, l => l.Trim() == Stanza);
        if (start < 0)
        {
            throw new RuleImportException(sourceName, 1, 0, $"no {Stanza} stanza; expected {Stanza} followed by definition = search NOT (...)");
        }

        // The export numbers the entries' comments in the comment lines right above the stanza.
        var comments = new Dictionary<int, string>();
        for (var i = start - 1; i >= 0 && lines[i].TrimStart().StartsWith('#'); i--)
        {
            if (NumberedComment().Match(lines[i]) is { Success: true } match)
            {
                comments.TryAdd(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value.Trim());
            }
        }

        Definition? definition = null;
        for (var i = start + 1; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmed = line.Trim();
            if (trimmed.StartsWith('['))
            {
                break; // the next stanza
            }

            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !SettingName().IsMatch(line[..equals].Trim()))
            {
                throw new RuleImportException(sourceName, i + 1, 1, "expected a setting such as definition = search NOT (...)");
            }

            var key = line[..equals].Trim();
            var value = new Definition();
            var at = equals + 1;
            while (true)
            {
                var text = lines[i];
                var end = text.Length;
                var continued = text.TrimEnd().EndsWith('\\');
                if (continued)
                {
                    end = text.TrimEnd().Length - 1;
                }

                for (var c = at; c < end; c++)
                {
                    value.Add(text[c], i + 1, c + 1);
                }

                if (!continued || i + 1 >= lines.Length)
                {
                    break;
                }

                value.Add(' ', i + 1, end + 1);
                i++;
                at = 0;
            }

            if (key == "definition")
            {
                definition = value;
            }
        }

        if (definition is null)
        {
            throw new RuleImportException(sourceName, start + 1, 0, $"the {Stanza} stanza has no definition");
        }

        return new Parser(Tokenize(definition, sourceName), definition, sourceName, comments).ReadAllowList();
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+$")]
    private static partial Regex SettingName();

    [GeneratedRegex(@"^\s*#\s*(\d+)\.\s(.*)$")]
    private static partial Regex NumberedComment();

    // The definition's text with each character's line and column.
    private sealed class Definition
    {
        public StringBuilder Text { get; } = new();

        public List<(int Line, int Column)> Positions { get; } = [];

        public void Add(char c, int line, int column)
        {
            Text.Append(c);
            Positions.Add((line, column));
        }

        // past the end: the column after the last character
        public (int Line, int Column) At(int index) => Positions.Count == 0
            ? (1, 0)
            : index < Positions.Count ? Positions[index] : (Positions[^1].Line, Positions[^1].Column + 1);
    }

    private enum Kind
    {
        Word,
        Quoted,
        Operator,
        Open,
        Close,
        Comma,
        Pipe,
        End,
    }

    private readonly record struct Token(Kind Kind, string Text, int Offset)
    {
        public bool Is(string keyword) => Kind == Kind.Word && Text == keyword;
    }

    private static List<Token> Tokenize(Definition definition, string sourceName)
    {
        var text = definition.Text.ToString();
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            switch (c)
            {
                case '(':
                    tokens.Add(new Token(Kind.Open, "(", i++));
                    continue;
                case ')':
                    tokens.Add(new Token(Kind.Close, ")", i++));
                    continue;
                case ',':
                    tokens.Add(new Token(Kind.Comma, ",", i++));
                    continue;
                case '|':
                    tokens.Add(new Token(Kind.Pipe, "|", i++));
                    continue;
                case '"':
                {
                    var start = i++;
                    var value = new StringBuilder();
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            var (line, column) = definition.At(start);
                            throw new RuleImportException(sourceName, line, column, "the quoted value has no closing quote");
                        }

                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            value.Append(text[i + 1]);
                            i += 2;
                            continue;
                        }

                        if (text[i] == '"')
                        {
                            i++;
                            break;
                        }

                        value.Append(text[i++]);
                    }

                    tokens.Add(new Token(Kind.Quoted, value.ToString(), start));
                    continue;
                }

                case '=' or '<' or '>' or '!':
                {
                    var length = i + 1 < text.Length && text[i + 1] == '=' ? 2 : 1;
                    tokens.Add(new Token(Kind.Operator, text.Substring(i, length), i));
                    i += length;
                    continue;
                }

                default:
                {
                    var start = i;
                    while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')' or ',' or '|' or '"' or '=' or '<' or '>' or '!'))
                    {
                        i++;
                    }

                    tokens.Add(new Token(Kind.Word, text[start..i], start));
                    continue;
                }
            }
        }

        tokens.Add(new Token(Kind.End, "end of the definition", text.Length));
        return tokens;
    }

    private abstract record Node(int Offset);

    private sealed record TermNode(string Field, string Operator, List<string> Values, int Offset) : Node(Offset);

    private sealed record AllNode(int Offset) : Node(Offset);

    private sealed record NotNode(Node Operand, int Offset) : Node(Offset);

    private sealed record AndNode(List<Node> Operands, int Offset) : Node(Offset);

    private sealed record OrNode(List<Node> Operands, int Offset) : Node(Offset);

    private sealed class Parser(List<Token> tokens, Definition definition, string sourceName, Dictionary<int, string> comments)
    {
        // Nesting deeper than any filter needs is refused before it can exhaust the stack.
        private const int MaxDepth = 64;

        private int _at;
        private int _depth;

        public AllowList ReadAllowList()
        {
            if (tokens[_at].Kind == Kind.Pipe)
            {
                _at++;
            }

            if (!tokens[_at].Is("search"))
            {
                throw Error(tokens[_at].Offset, $"expected the search command (search NOT (...)) at \"{InputText.Escape(tokens[_at].Text)}\"");
            }

            _at++;
            var expression = ParseAnd();
            if (tokens[_at].Kind != Kind.End)
            {
                throw Error(tokens[_at].Offset, $"unexpected \"{InputText.Escape(tokens[_at].Text)}\"; the filter is one search of NOT (...) terms");
            }

            var items = expression is AndNode and ? and.Operands : [expression];
            var entries = new List<AllowListEntry>();
            foreach (var item in items)
            {
                switch (item)
                {
                    case AllNode when items.Count == 1:
                        break; // search *: ESCU's empty filter
                    case NotNode not when not.Operand is OrNode or && !IsPortCondition(or):
                        foreach (var operand in or.Operands)
                        {
                            entries.Add(Entry(operand, entries.Count));
                        }

                        break;
                    case NotNode not:
                        entries.Add(Entry(not.Operand, entries.Count));
                        break;
                    default:
                        throw Error(item.Offset, "expected NOT (...): every term of the filter drops the rows its condition matches");
                }
            }

            return new AllowList(entries);
        }

        private AllowListEntry Entry(Node node, int index)
        {
            var (line, _) = definition.At(node.Offset);
            var comment = comments.TryGetValue(index + 1, out var text) && text.Length > 0
                ? text
                : string.Create(CultureInfo.InvariantCulture, $"imported from {sourceName} line {line}");
            string? app = null;
            IPNetworkValue? source = null, destination = null;
            Transport? transport = null;
            BitArray? ports = null;
            foreach (var condition in node is AndNode and ? and.Operands : [node])
            {
                if (IsPortCondition(condition))
                {
                    var set = Ports(condition);
                    ports = ports is null ? set : ports.And(set);
                    continue;
                }

                switch (condition)
                {
                    case TermNode { Field: "app", Operator: "=" } term:
                        Once(app, term, "app");
                        app = term.Values[0].Contains('*', StringComparison.Ordinal)
                            ? throw Error(term.Offset, $"the app \"{InputText.Escape(term.Values[0])}\" is a wildcard pattern; the library matches app names exactly")
                            : SplunkImport.Printed(term.Values[0]);
                        break;
                    case TermNode { Field: "src_ip" or "src", Operator: "=" } term:
                        Once(source, term, "src_ip");
                        source = Network(term);
                        break;
                    case TermNode { Field: "dest_ip" or "dest", Operator: "=" } term:
                        Once(destination, term, "dest_ip");
                        destination = Network(term);
                        break;
                    case TermNode { Field: "transport", Operator: "=" } term:
                        Once(transport, term, "transport");
                        transport = term.Values[0].ToUpperInvariant() switch
                        {
                            "TCP" => Transport.Tcp,
                            "UDP" => Transport.Udp,
                            "OTHER" => Transport.Other,
                            _ => throw Error(term.Offset, $"the transport \"{InputText.Escape(term.Values[0])}\" is not tcp, udp or other"),
                        };
                        break;
                    case NotNode { Operand: TermNode { Field: "transport", Operator: "IN" } term } when term.Values.Contains("tcp", StringComparer.OrdinalIgnoreCase) && term.Values.Contains("udp", StringComparer.OrdinalIgnoreCase):
                        Once(transport, term, "transport");
                        transport = Transport.Other; // NOT transport IN (tcp, udp, ...): the export's "other"
                        break;
                    default:
                        throw Error(condition.Offset, "expected app=, dest_port= (IN, >=, <=, >, < and OR of those), src_ip=, dest_ip= or transport= terms: the allow-list's conditions");
                }
            }

            var entry = new AllowListEntry(comment)
            {
                App = app,
                DestinationPorts = ports is null ? null : ToPortSet(ports, node.Offset),
                SourceNetwork = source,
                DestinationNetwork = destination,
                Transport = transport,
            };
            return entry.HasCondition ? entry : throw Error(node.Offset, "the entry sets no condition and would drop every row");
        }

        private void Once(object? value, TermNode term, string field)
        {
            if (value is not null)
            {
                throw Error(term.Offset, $"the entry sets {field} twice; an entry holds one {field} (write two NOT (...) entries)");
            }
        }

        private IPNetworkValue Network(TermNode term)
            => IPNetworkValue.TryParse(term.Values[0], out var network)
                ? network
                : throw Error(term.Offset, $"\"{InputText.Escape(term.Values[0])}\" is not an address or a CIDR block such as 10.0.0.0/8");

        private static bool IsPortCondition(Node node) => node switch
        {
            TermNode term => term.Field == "dest_port",
            AndNode and => and.Operands.All(IsPortCondition),
            OrNode or => or.Operands.All(IsPortCondition),
            _ => false,
        };

        private BitArray Ports(Node node)
        {
            switch (node)
            {
                case AndNode and:
                {
                    var set = new BitArray(65536, true);
                    foreach (var operand in and.Operands)
                    {
                        set.And(Ports(operand));
                    }

                    return set;
                }

                case OrNode or:
                {
                    var set = new BitArray(65536, false);
                    foreach (var operand in or.Operands)
                    {
                        set.Or(Ports(operand));
                    }

                    return set;
                }

                default:
                {
                    var term = (TermNode)node;
                    var set = new BitArray(65536, false);
                    foreach (var text in term.Values)
                    {
                        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > ushort.MaxValue)
                        {
                            throw Error(term.Offset, $"\"{InputText.Escape(text)}\" is not a port (0-65535)");
                        }

                        var (first, last) = term.Operator switch
                        {
                            "=" or "IN" => (port, port),
                            ">=" => (port, 65535),
                            ">" => (port + 1, 65535),
                            "<=" => (0, port),
                            "<" => (0, port - 1),
                            _ => throw Error(term.Offset, $"the operator {term.Operator} is not read for dest_port; use =, IN, >=, <=, > or <"),
                        };
                        for (var p = first; p <= last; p++)
                        {
                            set[p] = true;
                        }
                    }

                    return set;
                }
            }
        }

        private PortSet ToPortSet(BitArray set, int offset)
        {
            var ranges = new List<PortRange>();
            for (var p = 0; p < 65536; p++)
            {
                if (!set[p])
                {
                    continue;
                }

                var first = p;
                while (p + 1 < 65536 && set[p + 1])
                {
                    p++;
                }

                ranges.Add(new PortRange(first, p));
            }

            return ranges.Count > 0 ? PortSet.FromRanges(ranges) : throw Error(offset, "the entry's port conditions exclude every port");
        }

        // AND (juxtaposition or the keyword) binds loosest, then OR, then NOT, as in Splunk.
        private Node ParseAnd()
        {
            var offset = tokens[_at].Offset;
            var operands = new List<Node>();
            while (tokens[_at].Kind is not (Kind.Close or Kind.End or Kind.Pipe))
            {
                if (tokens[_at].Is("AND"))
                {
                    _at++;
                    continue;
                }

                operands.Add(ParseOr());
            }

            return operands.Count switch
            {
                0 => throw Error(tokens[_at].Offset, "expected a condition"),
                1 => operands[0],
                _ => new AndNode(operands, offset),
            };
        }

        private Node ParseOr()
        {
            var offset = tokens[_at].Offset;
            var operands = new List<Node> { ParseNot() };
            while (tokens[_at].Is("OR"))
            {
                _at++;
                operands.Add(ParseNot());
            }

            return operands.Count == 1 ? operands[0] : new OrNode(operands, offset);
        }

        private Node ParseNot()
        {
            var token = tokens[_at];
            if (++_depth > MaxDepth)
            {
                throw Error(token.Offset, string.Create(CultureInfo.InvariantCulture, $"the condition nests deeper than {MaxDepth} parentheses or NOTs"));
            }

            try
            {
                return ParseNotAt(token);
            }
            finally
            {
                _depth--;
            }
        }

        private Node ParseNotAt(Token token)
        {
            if (token.Is("NOT"))
            {
                _at++;
                return new NotNode(ParseNot(), token.Offset);
            }

            if (token.Kind == Kind.Open)
            {
                _at++;
                var inner = ParseAnd();
                if (tokens[_at].Kind != Kind.Close)
                {
                    throw Error(tokens[_at].Offset, "expected ) to close the ( here");
                }

                _at++;
                return inner;
            }

            if (token.Is("*"))
            {
                _at++;
                return new AllNode(token.Offset);
            }

            if (token.Kind != Kind.Word || token.Text is "OR" or "AND")
            {
                throw Error(token.Offset, $"expected a field condition such as app=dns, found \"{InputText.Escape(token.Text)}\"");
            }

            _at++;
            var field = token.Text;
            if (tokens[_at].Is("IN"))
            {
                _at++;
                if (tokens[_at].Kind != Kind.Open)
                {
                    throw Error(tokens[_at].Offset, "expected ( after IN");
                }

                _at++;
                var values = new List<string>();
                while (tokens[_at].Kind != Kind.Close)
                {
                    var value = tokens[_at++];
                    if (value.Kind is not (Kind.Word or Kind.Quoted))
                    {
                        throw Error(value.Offset, $"expected a value in the IN list, found \"{InputText.Escape(value.Text)}\"");
                    }

                    values.Add(value.Text);
                    if (tokens[_at].Kind == Kind.Comma)
                    {
                        _at++;
                    }
                }

                _at++;
                return new TermNode(field, "IN", values, token.Offset);
            }

            var op = tokens[_at];
            if (op.Kind != Kind.Operator || op.Text is "!" or "!=")
            {
                throw Error(op.Offset, $"expected = (or >=, <=, >, <, IN) after {InputText.Escape(field)}; != and bare words are not read");
            }

            _at++;
            var operand = tokens[_at];
            if (operand.Kind is not (Kind.Word or Kind.Quoted))
            {
                throw Error(operand.Offset, $"expected a value after {InputText.Escape(field)}{op.Text}");
            }

            _at++;
            return new TermNode(field, op.Text == "==" ? "=" : op.Text, [operand.Text], token.Offset);
        }

        private RuleImportException Error(int offset, string reason)
        {
            var (line, column) = definition.At(offset);
            return new RuleImportException(sourceName, line, column, reason);
        }
    }
}
