using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Interop.Tests.Zeek;

/// <summary>A Zeek enum value written by name (<c>tcp</c>, <c>unknown_transport</c>).</summary>
internal sealed record ZeekEnum(string Name);

/// <summary>A Zeek port literal (<c>443/tcp</c>).</summary>
internal sealed record ZeekPort(int Number, string Protocol);

/// <summary>The constructs of a parsed script: constants with their values, notice types, record types, functions, events.</summary>
internal sealed class ZeekScript
{
    public string? Module { get; set; }

    public List<string> Loads { get; } = [];

    public List<string> NoticeTypes { get; } = [];

    public Dictionary<string, List<(string Name, string Type, bool Optional)>> RecordTypes { get; } = [];

    public Dictionary<string, (string Type, object Value)> Constants { get; } = [];

    public List<string> Functions { get; } = [];

    public List<(string Name, int Priority)> Events { get; } = [];
}

/// <summary>
/// A parser of the Zeek script constructs the export emits (Zeek script reference: "Statements", "Declarations",
/// "Types and attributes"), rejecting the rest: <c>@load</c>; <c>module X;</c>; an <c>export { }</c> block of
/// <c>redef enum Notice::Type += { ... };</c>, <c>type X: record { f: t &amp;optional; ... };</c> and <c>const x: type =
/// value;</c>; after it <c>function</c> and <c>event</c> definitions, whose bodies must balance and hold only known tokens.
/// Constant values: string literals (escapes <c>\\ \" \xHH</c>), counts, subnets (<c>10.0.0.0/8</c>,
/// <c>[2001:db8::]/32</c>), ports (<c>443/tcp</c>), enum names, <c>table()</c>, <c>vector(...)</c>, <c>set(...)</c>,
/// table constructors <c>{ [key] = value, ... }</c> and record constructors <c>T($f=v, ...)</c>.
/// </summary>
internal sealed class ZeekScriptParser
{
    private static readonly HashSet<string> Keywords = ["if", "return", "for", "in", "local", "next", "T", "F", "NOTICE", "fmt", "cat", "to_lower", "port_to_count", "get_port_transport_proto", "unknown_transport", "vector", "of", "string", "count", "bool", "connection", "transport_proto", "subnet", "Notice::Info"];

    private readonly List<(string Kind, string Text, int Line)> _tokens;
    private int _at;

    private ZeekScriptParser(string text) => _tokens = Tokenize(text);

    public static ZeekScript Parse(string text) => new ZeekScriptParser(text).Script();

    private ZeekScript Script()
    {
        var script = new ZeekScript();
        while (_at < _tokens.Count)
        {
            var token = Next();
            switch (token.Text)
            {
                case "@load":
                    script.Loads.Add(Expect("path").Text);
                    break;
                case "module":
                    script.Module = Expect("id").Text;
                    Expect(";");
                    break;
                case "export":
                    Expect("{");
                    while (Peek().Text != "}")
                    {
                        Declaration(script);
                    }

                    Expect("}");
                    break;
                case "function":
                    var name = Expect("id").Text;
                    Parameters();
                    Expect(":");
                    Type();
                    Body();
                    script.Functions.Add(name);
                    break;
                case "event":
                    var eventName = Expect("id").Text;
                    Parameters();
                    var priority = 0;
                    if (Peek().Text == "&priority")
                    {
                        Next();
                        Expect("=");
                        var sign = Peek().Text == "-" ? -1 : 1;
                        if (sign < 0)
                        {
                            Next();
                        }

                        priority = sign * int.Parse(Expect("number").Text, CultureInfo.InvariantCulture);
                    }

                    Body();
                    script.Events.Add((eventName, priority));
                    break;
                default:
                    throw Error(token, "a top-level declaration");
            }
        }

        return script;
    }

    private void Declaration(ZeekScript script)
    {
        var token = Next();
        switch (token.Text)
        {
            case "redef":
                Expect("enum");
                Require(Next().Text == "Notice::Type", token, "redef enum Notice::Type");
                Expect("+=");
                Expect("{");
                do
                {
                    script.NoticeTypes.Add(Expect("id").Text);
                }
                while (Accept(",") && Peek().Text != "}");

                Expect("}");
                Expect(";");
                break;
            case "type":
                var name = Expect("id").Text;
                Expect(":");
                Expect("record");
                Expect("{");
                var fields = new List<(string, string, bool)>();
                while (!Accept("}"))
                {
                    var field = Expect("id").Text;
                    Expect(":");
                    var type = Type();
                    var optional = Accept("&optional");
                    Expect(";");
                    fields.Add((field, type, optional));
                }

                Expect(";");
                script.RecordTypes.Add(name, fields);
                break;
            case "const":
                var constant = Expect("id").Text;
                Expect(":");
                var constType = Type();
                Expect("=");
                var value = Value();
                Expect(";");
                script.Constants.Add(constant, (constType, value));
                break;
            default:
                throw Error(token, "redef, type or const");
        }
    }

    private string Type()
    {
        var token = Next();
        switch (token.Text)
        {
            case "table":
                Expect("[");
                var keys = new List<string> { Type() };
                while (Accept(","))
                {
                    keys.Add(Type());
                }

                Expect("]");
                Expect("of");
                return $"table[{string.Join(",", keys)}] of {Type()}";
            case "set":
                Expect("[");
                var type = Type();
                Expect("]");
                return $"set[{type}]";
            case "vector":
                Expect("of");
                return $"vector of {Type()}";
            case "string" or "count" or "bool" or "subnet" or "addr" or "port" or "transport_proto" or "connection":
                return token.Text;
            default:
                Require(token.Kind == "id", token, "a type");
                return token.Text;
        }
    }

    private object Value()
    {
        var token = Next();
        switch (token.Kind)
        {
            case "string":
                return token.Text;
            case "number":
                return ulong.Parse(token.Text, CultureInfo.InvariantCulture);
            case "subnet":
                return IPNetworkValue.Parse(token.Text);
            case "port":
                var slash = token.Text.IndexOf('/', StringComparison.Ordinal);
                return new ZeekPort(int.Parse(token.Text[..slash], CultureInfo.InvariantCulture), token.Text[(slash + 1)..]);
        }

        switch (token.Text)
        {
            case "table":
                Expect("(");
                Expect(")");
                return new List<(object, object)>();
            case "vector" or "set":
                Expect("(");
                var items = new List<object>();
                if (!Accept(")"))
                {
                    do
                    {
                        items.Add(Value());
                    }
                    while (Accept(","));

                    Expect(")");
                }

                return items;
            case "{":
                var entries = new List<(object, object)>();
                do
                {
                    Expect("[");
                    var key = Value();
                    Expect("]");
                    Expect("=");
                    entries.Add((key, Value()));
                }
                while (Accept(","));

                Expect("}");
                return entries;
        }

        Require(token.Kind == "id", token, "a value");
        if (!Accept("("))
        {
            return new ZeekEnum(token.Text);
        }

        var record = new Dictionary<string, object> { ["$type"] = token.Text };
        do
        {
            var field = Expect("field").Text;
            Expect("=");
            record.Add(field[1..], Value());
        }
        while (Accept(","));

        Expect(")");
        return record;
    }

    private void Parameters()
    {
        Expect("(");
        if (Accept(")"))
        {
            return;
        }

        do
        {
            Expect("id");
            Expect(":");
            Type();
        }
        while (Accept(","));

        Expect(")");
    }

    // A body: balanced braces, parentheses and brackets over identifiers, literals, fields and operators.
    private void Body()
    {
        Expect("{");
        var depth = new Stack<string>();
        depth.Push("}");
        while (depth.Count > 0)
        {
            var token = Next();
            switch (token.Text)
            {
                case "{":
                    depth.Push("}");
                    break;
                case "(":
                    depth.Push(")");
                    break;
                case "[":
                    depth.Push("]");
                    break;
                case "}" or ")" or "]":
                    Require(depth.Pop() == token.Text, token, "balanced brackets");
                    break;
                default:
                    Require(
                        token.Kind is "string" or "number" or "field" or "op" || (token.Kind == "id" && (Keywords.Contains(token.Text) || token.Text.All(c => char.IsAsciiLetterLower(c) || c == '_' || char.IsAsciiDigit(c)) || token.Text == "Protocol_Port_Mismatch")),
                        token,
                        "a known token");
                    break;
            }
        }
    }

    private (string Kind, string Text, int Line) Next()
    {
        if (_at >= _tokens.Count)
        {
            throw new FormatException("unexpected end of script");
        }

        return _tokens[_at++];
    }

    private (string Kind, string Text, int Line) Peek() => _at < _tokens.Count ? _tokens[_at] : ("end", string.Empty, 0);

    private bool Accept(string text)
    {
        if (Peek().Text == text && Peek().Kind != "string")
        {
            _at++;
            return true;
        }

        return false;
    }

    private (string Kind, string Text, int Line) Expect(string what)
    {
        var token = Next();
        var ok = what switch
        {
            "id" or "number" or "field" or "path" => token.Kind == what,
            _ => token.Text == what && token.Kind != "string",
        };
        return ok ? token : throw Error(token, $"'{what}'");
    }

    private static void Require(bool condition, (string Kind, string Text, int Line) token, string what)
    {
        if (!condition)
        {
            throw Error(token, what);
        }
    }

    private static FormatException Error((string Kind, string Text, int Line) token, string what)
        => new($"line {token.Line}: expected {what}, found {token.Kind} '{token.Text}'");

    private static List<(string Kind, string Text, int Line)> Tokenize(string text)
    {
        var tokens = new List<(string, string, int)>();
        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                i++;
            }
            else if (c is ' ' or '\t' or '\r')
            {
                i++;
            }
            else if (c == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '@')
            {
                var end = text.IndexOf('\n', i);
                var words = text[i..(end < 0 ? text.Length : end)].Split(' ', 2);
                if (words[0] != "@load" || words.Length != 2 || !words[1].All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '/' or '_' or '-' or '.'))
                {
                    throw new FormatException($"line {line}: only '@load <path>' directives");
                }

                tokens.Add(("op", "@load", line));
                tokens.Add(("path", words[1], line));
                i = end < 0 ? text.Length : end;
            }
            else if (c == '"')
            {
                var bytes = new List<byte>();
                i++;
                while (true)
                {
                    if (i >= text.Length || text[i] == '\n')
                    {
                        throw new FormatException($"line {line}: unterminated string");
                    }

                    if (text[i] == '"')
                    {
                        i++;
                        break;
                    }

                    if (text[i] == '\\')
                    {
                        var e = text[i + 1];
                        if (e is '"' or '\\')
                        {
                            bytes.Add((byte)e);
                            i += 2;
                        }
                        else if (e == 'x')
                        {
                            bytes.Add(byte.Parse(text.AsSpan(i + 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                            i += 4;
                        }
                        else
                        {
                            throw new FormatException($"line {line}: escape '\\{e}' is not one the export writes");
                        }

                        continue;
                    }

                    if (text[i] is < ' ' or > '~')
                    {
                        throw new FormatException($"line {line}: a string holds a raw byte the export escapes");
                    }

                    bytes.Add((byte)text[i++]);
                }

                tokens.Add(("string", Encoding.UTF8.GetString([.. bytes]), line));
            }
            else if (c == '[' && i + 1 < text.Length && (char.IsAsciiHexDigit(text[i + 1]) || text[i + 1] == ':') && Ipv6Subnet(text, i) is { } v6)
            {
                tokens.Add(("subnet", v6.Text, line));
                i += v6.Length;
            }
            else if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }

                var kind = "number";
                if (i < text.Length && text[i] == '.')
                {
                    kind = "subnet";
                    while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] is '.' or '/'))
                    {
                        i++;
                    }
                }
                else if (i + 1 < text.Length && text[i] == '/' && char.IsAsciiLetter(text[i + 1]))
                {
                    kind = "port";
                    i++;
                    while (i < text.Length && char.IsAsciiLetter(text[i]))
                    {
                        i++;
                    }
                }

                var word = text[start..i];
                if ((kind == "subnet" && !(word.Contains('/', StringComparison.Ordinal) && IPNetworkValue.TryParse(word, out _)))
                    || (kind == "port" && !System.Text.RegularExpressions.Regex.IsMatch(word, "^[0-9]{1,5}/(tcp|udp|icmp|unknown)$")))
                {
                    throw new FormatException($"line {line}: bad literal '{word}'");
                }

                tokens.Add((kind, word, line));
            }
            else if (char.IsAsciiLetter(c) || c == '_' || (c == '$' && i + 1 < text.Length && char.IsAsciiLetter(text[i + 1])) || c == '&')
            {
                var start = i++;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_' || (text[i] == ':' && i + 2 < text.Length && text[i + 1] == ':' && char.IsAsciiLetter(text[i + 2]))))
                {
                    i += text[i] == ':' ? 2 : 1;
                }

                var word = text[start..i];
                tokens.Add((c == '$' ? "field" : c == '&' ? "op" : "id", word, line));
            }
            else
            {
                var two = i + 1 < text.Length ? text.Substring(i, 2) : string.Empty;
                if (two is "+=" or "==" or "!=" or "<=" or ">=" or "&&" or "||" or "?$")
                {
                    tokens.Add(("op", two, line));
                    i += 2;
                }
                else if ("{}()[],;:=!<>+-%|".Contains(c, StringComparison.Ordinal))
                {
                    tokens.Add(("op", c.ToString(), line));
                    i++;
                }
                else
                {
                    throw new FormatException($"line {line}: unexpected character '{c}'");
                }
            }
        }

        return tokens;
    }

    private static (string Text, int Length)? Ipv6Subnet(string text, int at)
    {
        var close = text.IndexOf(']', at);
        if (close < 0 || close + 1 >= text.Length || text[close + 1] != '/')
        {
            return null;
        }

        var end = close + 2;
        while (end < text.Length && char.IsAsciiDigit(text[end]))
        {
            end++;
        }

        var candidate = text[(at + 1)..close] + text[(close + 1)..end];
        return IPNetworkValue.TryParse(candidate, out _) ? (candidate, end - at) : null;
    }
}
