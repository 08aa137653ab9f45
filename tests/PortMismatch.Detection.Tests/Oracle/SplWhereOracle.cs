using System.Globalization;

namespace PortMismatch.Detection.Tests.Oracle;

/// <summary>
/// An independent interpreter of the boolean <c>where</c> clause of a Splunk search, written from the SPL documentation
/// and sharing no code with the library. Grammar (Splunk search-command precedence: parentheses, then NOT, then OR, then
/// AND, which may be implicit juxtaposition):
/// <code>
/// and     := or ( ["AND"] or )*
/// or      := not ( "OR" not )*
/// not     := "NOT" not | primary
/// primary := "(" and ")" | field "=" value
/// </code>
/// Semantics (CIM Network_Traffic as Splunk evaluates it): <c>app=X</c> is true when some value of the multivalue field
/// equals X ignoring ASCII case; <c>dest_port=N</c> compares the port, absent treated as 0; a comparison on a field with
/// no value is false, so <c>NOT</c> of it is true.
/// </summary>
internal sealed class SplWhereOracle
{
    /// <summary>The where clause of the ESCU search, verbatim from DETECTION.md section 1.</summary>
    public const string EscuWhereClause = """
        (All_Traffic.app=dns NOT All_Traffic.dest_port=53)
             OR ((All_Traffic.app=web-browsing OR All_Traffic.app=http)
                  NOT (All_Traffic.dest_port=80 OR All_Traffic.dest_port=8080 OR All_Traffic.dest_port=8000))
             OR (All_Traffic.app=ssl NOT (All_Traffic.dest_port=443 OR All_Traffic.dest_port=8443))
             OR (All_Traffic.app=smtp NOT All_Traffic.dest_port=25)
        """;

    private readonly Node _root;

    public SplWhereOracle(string whereClause)
    {
        var tokens = Tokenize(whereClause);
        var position = 0;
        _root = ParseAnd(tokens, ref position);
        if (position != tokens.Count)
        {
            throw new FormatException($"Unexpected token '{tokens[position]}'.");
        }
    }

    public static SplWhereOracle Escu { get; } = new(EscuWhereClause);

    /// <summary>Whether the record is selected.</summary>
    public bool IsSelected(IReadOnlyList<string> apps, int? destinationPort) => _root.Evaluate(new Fields(apps, destinationPort));

    /// <summary>Whether a single app value (as its own record) is selected; used to pick the mismatching values of a multi-valued record.</summary>
    public bool IsSelectedValue(string app, int? destinationPort) => IsSelected([app], destinationPort);

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            else if (text[i] is '(' or ')')
            {
                tokens.Add(text[i++].ToString());
            }
            else
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not '(' and not ')')
                {
                    i++;
                }

                tokens.Add(text[start..i]);
            }
        }

        return tokens;
    }

    private static Node ParseAnd(List<string> tokens, ref int position)
    {
        var left = ParseOr(tokens, ref position);
        while (position < tokens.Count && tokens[position] != ")" && tokens[position] != "OR")
        {
            if (tokens[position] == "AND")
            {
                position++;
            }

            var right = ParseOr(tokens, ref position);
            left = new And(left, right);
        }

        return left;
    }

    private static Node ParseOr(List<string> tokens, ref int position)
    {
        var left = ParseNot(tokens, ref position);
        while (position < tokens.Count && tokens[position] == "OR")
        {
            position++;
            left = new Or(left, ParseNot(tokens, ref position));
        }

        return left;
    }

    private static Node ParseNot(List<string> tokens, ref int position)
    {
        if (tokens[position] == "NOT")
        {
            position++;
            return new Not(ParseNot(tokens, ref position));
        }

        if (tokens[position] == "(")
        {
            position++;
            var inner = ParseAnd(tokens, ref position);
            if (position >= tokens.Count || tokens[position] != ")")
            {
                throw new FormatException("Missing ')'.");
            }

            position++;
            return inner;
        }

        var token = tokens[position++];
        var eq = token.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new FormatException($"Expected field=value, got '{token}'.");
        }

        return new Compare(token[..eq], token[(eq + 1)..]);
    }

    private readonly record struct Fields(IReadOnlyList<string> Apps, int? DestinationPort);

    private abstract record Node
    {
        public abstract bool Evaluate(Fields fields);
    }

    private sealed record And(Node Left, Node Right) : Node
    {
        public override bool Evaluate(Fields fields) => Left.Evaluate(fields) && Right.Evaluate(fields);
    }

    private sealed record Or(Node Left, Node Right) : Node
    {
        public override bool Evaluate(Fields fields) => Left.Evaluate(fields) || Right.Evaluate(fields);
    }

    private sealed record Not(Node Inner) : Node
    {
        public override bool Evaluate(Fields fields) => !Inner.Evaluate(fields);
    }

    private sealed record Compare(string Field, string Value) : Node
    {
        public override bool Evaluate(Fields fields) => Field switch
        {
            "All_Traffic.app" => fields.Apps.Any(app => app.Length > 0 && AsciiCaseInsensitiveEquals(app, Value)),

            // CIM: dest_port = if(isnum(dest_port), dest_port, 0).
            "All_Traffic.dest_port" => (fields.DestinationPort ?? 0).ToString(CultureInfo.InvariantCulture) == Value,
            _ => throw new NotSupportedException($"The oracle does not know the field {Field}."),
        };

        private static bool AsciiCaseInsensitiveEquals(string a, string b)
        {
            if (a.Length != b.Length)
            {
                return false;
            }

            for (var i = 0; i < a.Length; i++)
            {
                char x = a[i], y = b[i];
                if (x is >= 'A' and <= 'Z')
                {
                    x = (char)(x + 32);
                }

                if (y is >= 'A' and <= 'Z')
                {
                    y = (char)(y + 32);
                }

                if (x != y)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
