using System.Text;

namespace PortMismatch.Detection.Ipfix.Internal;

/// <summary>(Same idea as the core's internal helper.) Makes untrusted input safe to quote in an error message: escaped and length-capped.</summary>
internal static class TextEscaper
{
    public const int MaxQuotedLength = 64;

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
