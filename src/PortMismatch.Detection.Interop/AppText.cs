using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Interop;

/// <summary>Text helpers every export shares: app names compared as the library compares them, allow-list apps made raw, comments kept on one line.</summary>
internal static class AppText
{
    /// <summary>Whether two app names are equal ignoring ASCII case only, as the evaluator and the allow-list compare them.</summary>
    public static bool AsciiEquals(string a, string b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i] && !(char.IsAsciiLetter(a[i]) && (a[i] | 0x20) == (b[i] | 0x20)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// An allow-list app as the value itself: the allow-list holds it as rows print it (<c>\xHH</c> for a backslash, a
    /// control character or a byte that is not UTF-8). Null when the bytes are not UTF-8 (no target's string holds them).
    /// </summary>
    public static string? Raw(string app)
    {
        if (!app.Contains('\\', StringComparison.Ordinal))
        {
            return app;
        }

        var bytes = new List<byte>();
        for (var i = 0; i < app.Length; i++)
        {
            if (app[i] == '\\' && i + 3 < app.Length && app[i + 1] == 'x'
                && byte.TryParse(app.AsSpan(i + 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(app[i].ToString()));
            }
        }

        try
        {
            return new UTF8Encoding(false, true).GetString([.. bytes]);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Comment text on one line: a line break (or any control character, U+2028, U+2029) in a rule's id, name or comment must not end the comment and start text the engine runs.</summary>
    public static string OneLine(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsControl(chars[i]) || chars[i] is '\u2028' or '\u2029')
            {
                chars[i] = ' ';
            }
        }

        return new string(chars);
    }
}
