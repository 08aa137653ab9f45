using System.Buffers;

namespace PortMismatch.Detection.Reporting.Internal;

/// <summary>
/// Text from the data into HTML: one escaper for text and for quoted attribute values alike (&amp;, &lt;, &gt;, both quotes),
/// so a value is safe wherever it is written; a control character other than tab and newline, which HTML does not allow
/// in text, becomes U+FFFD.
/// </summary>
internal static class HtmlText
{
    private static readonly SearchValues<char> Special = SearchValues.Create(
        "&<>\"'\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f");

    public static void Write(TextWriter writer, ReadOnlySpan<char> text)
    {
        while (true)
        {
            var i = text.IndexOfAny(Special);
            if (i < 0)
            {
                writer.Write(text);
                return;
            }

            writer.Write(text[..i]);
            writer.Write(text[i] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => "\uFFFD",
            });
            text = text[(i + 1)..];
        }
    }

    /// <summary>At most <paramref name="max"/> characters of <paramref name="text"/> (then an ellipsis), never splitting a surrogate pair.</summary>
    public static string Shorten(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return string.Concat(text.AsSpan(0, cut), "\u2026");
    }
}
