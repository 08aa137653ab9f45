using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Interop.Spl;

/// <summary>
/// A boolean search expression as the export builds it before writing: terms joined by AND (juxtaposition), OR and NOT.
/// Splunk's precedence is NOT, then OR, then AND (<c>a b OR c</c> is <c>a AND (b OR c)</c>), so the writer puts every
/// compound operand in parentheses and never relies on precedence.
/// </summary>
internal abstract class SplExpression
{
    /// <summary>The expression that is always true (an empty AND); the builders drop it from AND and let it absorb OR.</summary>
    public static SplExpression True { get; } = new AndExpression([]);

    public bool IsTrue => this is AndExpression { Operands.Length: 0 };

    public static SplExpression Term(string text) => new TermExpression(text);

    public static SplExpression And(IEnumerable<SplExpression> operands)
    {
        var list = new List<SplExpression>();
        foreach (var operand in operands)
        {
            if (operand is AndExpression and)
            {
                list.AddRange(and.Operands); // flattening keeps "a b c" instead of "a (b c)"; True adds nothing
            }
            else
            {
                list.Add(operand);
            }
        }

        return list.Count == 1 ? list[0] : new AndExpression([.. list]);
    }

    public static SplExpression And(params SplExpression[] operands) => And((IEnumerable<SplExpression>)operands);

    public static SplExpression Or(IEnumerable<SplExpression> operands)
    {
        var list = new List<SplExpression>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operand in operands)
        {
            if (operand.IsTrue)
            {
                return True;
            }

            foreach (var item in operand is OrExpression or ? or.Operands : [operand])
            {
                if (seen.Add(item.ToString()))
                {
                    list.Add(item); // a OR a is a: the same transport test of two rules is written once
                }
            }
        }

        return list.Count switch
        {
            0 => throw new InvalidOperationException("An OR needs an operand."),
            1 => list[0],
            _ => new OrExpression([.. list]),
        };
    }

    public static SplExpression Or(params SplExpression[] operands) => Or((IEnumerable<SplExpression>)operands);

    public static SplExpression Not(SplExpression operand) => operand.IsTrue
        ? throw new InvalidOperationException("NOT of the always-true expression is never written.")
        : new NotExpression(operand);

    /// <summary>Writes the expression; a compound operand inside another is parenthesised.</summary>
    public abstract void Write(StringBuilder text);

    public override string ToString()
    {
        var text = new StringBuilder();
        Write(text);
        return text.ToString();
    }

    /// <summary>Writes the expression as an operand: in parentheses when it is an AND or OR of several.</summary>
    public void WriteOperand(StringBuilder text)
    {
        if (this is TermExpression or NotExpression)
        {
            Write(text);
            return;
        }

        text.Append('(');
        Write(text);
        text.Append(')');
    }

    private sealed class TermExpression(string text) : SplExpression
    {
        public override void Write(StringBuilder builder) => builder.Append(text);
    }

    private sealed class NotExpression(SplExpression operand) : SplExpression
    {
        public override void Write(StringBuilder text)
        {
            text.Append("NOT ");
            operand.WriteOperand(text);
        }
    }

    private sealed class AndExpression(SplExpression[] operands) : SplExpression
    {
        public SplExpression[] Operands { get; } = operands;

        public override void Write(StringBuilder text)
        {
            if (Operands.Length == 0)
            {
                text.Append('*');
                return;
            }

            for (var i = 0; i < Operands.Length; i++)
            {
                if (i > 0)
                {
                    text.Append(' ');
                }

                Operands[i].WriteOperand(text);
            }
        }
    }

    private sealed class OrExpression(SplExpression[] operands) : SplExpression
    {
        public SplExpression[] Operands { get; } = operands;

        public override void Write(StringBuilder text)
        {
            for (var i = 0; i < Operands.Length; i++)
            {
                if (i > 0)
                {
                    text.Append(" OR ");
                }

                Operands[i].WriteOperand(text);
            }
        }
    }
}

/// <summary>Field terms and values written the way Splunk's search language reads them.</summary>
internal static class SplTerms
{
    // Lists of more than this many values are written with IN; up to it as OR, as ESCU writes its rules.
    private const int MaxOrValues = 3;

    /// <summary>
    /// Gets whether a value can be written at all: <c>*</c> is a wildcard even inside quotes (the search language has no
    /// escape for it), a backtick may start a macro, and control characters have no quoted form.
    /// </summary>
    public static string? Unwritable(string value)
    {
        foreach (var c in value)
        {
            if (c == '*')
            {
                return "it contains '*', which Splunk's search treats as a wildcard even in quotes";
            }

            if (c == '`')
            {
                return "it contains '`', which Splunk expands as a macro call";
            }

            if (char.IsControl(c))
            {
                return "it contains a control character, which a search value cannot hold";
            }
        }

        return value.Length == 0 ? "it is empty" : null;
    }

    /// <summary>
    /// Writes a value: bare when it is a plain word (ASCII letters, digits, <c>_ . -</c>; not a keyword), else in
    /// double quotes with <c>\"</c> and <c>\\</c> escaped, so that no value can end the quote and change the search.
    /// </summary>
    public static string Value(string value)
    {
        var bare = value.Length > 0 && value[0] != '-';
        foreach (var c in value)
        {
            bare &= c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '.' or '-';
        }

        if (bare && !IsKeyword(value))
        {
            return value;
        }

        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        return text.Append('"').ToString();
    }

    private static bool IsKeyword(string value)
        => value.Equals("AND", StringComparison.OrdinalIgnoreCase) || value.Equals("OR", StringComparison.OrdinalIgnoreCase)
            || value.Equals("NOT", StringComparison.OrdinalIgnoreCase) || value.Equals("IN", StringComparison.OrdinalIgnoreCase)
            || value.Equals("TERM", StringComparison.OrdinalIgnoreCase) || value.Equals("CASE", StringComparison.OrdinalIgnoreCase)
            || value.Equals("BY", StringComparison.OrdinalIgnoreCase) || value.Equals("WHERE", StringComparison.OrdinalIgnoreCase)
            || value.Equals("FROM", StringComparison.OrdinalIgnoreCase) || value.Equals("AS", StringComparison.OrdinalIgnoreCase)
            || value.Equals("LIKE", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>field=value</c>.</summary>
    public static SplExpression Equal(string field, string value) => SplExpression.Term($"{field}={Value(value)}");

    /// <summary>Any of the values: <c>field=a</c>, <c>(field=a OR field=b)</c>, or <c>field IN (a, b, c, d)</c> for long lists.</summary>
    public static SplExpression AnyOf(string field, IReadOnlyList<string> values)
        => values.Count > MaxOrValues
            ? SplExpression.Term($"{field} IN ({string.Join(", ", values.Select(Value))})")
            : SplExpression.Or(values.Select(v => Equal(field, v)));

    /// <summary>
    /// The port is in the set: single ports as <c>field=N</c> (or one IN for many), ranges as
    /// <c>(field&gt;=a field&lt;=b)</c>; the whole range 0-65535 is always true.
    /// </summary>
    public static SplExpression Ports(string field, PortSet ports)
    {
        var singles = new List<string>();
        var ranges = new List<SplExpression>();
        foreach (var range in ports.Ranges)
        {
            if (range.First == 0 && range.Last == ushort.MaxValue)
            {
                return SplExpression.True;
            }

            if (range.First == range.Last)
            {
                singles.Add(range.First.ToString(CultureInfo.InvariantCulture));
            }
            else if (range.First == 0)
            {
                ranges.Add(SplExpression.Term(string.Create(CultureInfo.InvariantCulture, $"{field}<={range.Last}")));
            }
            else if (range.Last == ushort.MaxValue)
            {
                ranges.Add(SplExpression.Term(string.Create(CultureInfo.InvariantCulture, $"{field}>={range.First}")));
            }
            else
            {
                ranges.Add(SplExpression.And(
                    SplExpression.Term(string.Create(CultureInfo.InvariantCulture, $"{field}>={range.First}")),
                    SplExpression.Term(string.Create(CultureInfo.InvariantCulture, $"{field}<={range.Last}"))));
            }
        }

        var terms = new List<SplExpression>();
        if (singles.Count > MaxOrValues)
        {
            terms.Add(SplExpression.Term($"{field} IN ({string.Join(", ", singles)})"));
        }
        else
        {
            terms.AddRange(singles.Select(p => SplExpression.Term($"{field}={p}")));
        }

        terms.AddRange(ranges);
        return SplExpression.Or(terms);
    }
}
