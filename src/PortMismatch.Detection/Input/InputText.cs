using System.Text;

namespace PortMismatch.Detection;

/// <summary>
/// Makes untrusted input safe to quote in a diagnostic or an exception message: printable ASCII is kept, everything else
/// (control characters, non-ASCII, backslash) is escaped, and the text is cut after <see cref="MaxQuotedLength"/> characters.
/// Adapters use it for every piece of raw input they quote, so a log line cannot forge or hide text in a report.
/// </summary>
public static class InputText
{
    /// <summary>The longest quote, in characters of the escaped text, before <c>...</c> is appended.</summary>
    public const int MaxQuotedLength = 64;

    /// <summary>Escapes and caps UTF-16 text (<c>\\</c> as <c>\\\\</c>, other characters outside printable ASCII as <c>\\uXXXX</c>).</summary>
    /// <param name="text">The raw text.</param>
    /// <returns>The safe quote.</returns>
    public static string Escape(ReadOnlySpan<char> text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, MaxQuotedLength) + 8);
        foreach (var c in text)
        {
            if (builder.Length >= MaxQuotedLength)
            {
                builder.Append("...");
                break;
            }

            if (c is >= ' ' and < (char)0x7F and not '\\')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append(c == '\\' ? "\\\\" : $"\\u{(int)c:x4}");
            }
        }

        return builder.ToString();
    }

    /// <summary>Escapes and caps raw bytes (<c>\\</c> as <c>\\\\</c>, bytes outside printable ASCII as <c>\\xHH</c>).</summary>
    /// <param name="utf8">The raw bytes.</param>
    /// <returns>The safe quote.</returns>
    public static string Escape(ReadOnlySpan<byte> utf8)
    {
        var builder = new StringBuilder(Math.Min(utf8.Length, MaxQuotedLength) + 8);
        foreach (var b in utf8)
        {
            if (builder.Length >= MaxQuotedLength)
            {
                builder.Append("...");
                break;
            }

            if (b is >= (byte)' ' and < 0x7F and not (byte)'\\')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append(b == (byte)'\\' ? "\\\\" : $"\\x{b:x2}");
            }
        }

        return builder.ToString();
    }
}
