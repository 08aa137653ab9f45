namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>
/// Finds where the CSV starts in one syslog message and where its host and time are. Accepts: bare CSV; RFC 3164 (BSD)
/// <c>&lt;pri&gt;Mmm dd hh:mm:ss host </c> with or without PRI and host (and the RFC 3339 time that rsyslog writes in its
/// place); RFC 5424 <c>&lt;pri&gt;1 time host app procid msgid sd </c> with <c>-</c> or <c>[...]</c> structured data.
/// </summary>
internal static class SyslogHeader
{
    private const int MaxPri = 191;

    /// <summary>Parses the header; positions are offsets into <paramref name="message"/>.</summary>
    /// <returns><see langword="false"/> when a PRI or an RFC 5424 header is started but malformed.</returns>
    public static bool TryParse(ReadOnlySpan<byte> message, out int csvStart, out Range host, out Range time)
    {
        csvStart = 0;
        host = default;
        time = default;
        var p = 0;
        if (!message.IsEmpty && message[0] == (byte)'<')
        {
            if (!TryParsePri(message, out p))
            {
                return false;
            }

            if (IsVersion(message[p..], out var versionLength))
            {
                return TryParseRfc5424(message, p + versionLength, out csvStart, out host, out time);
            }
        }

        // RFC 3164 (or no header at all).
        var rest = message[p..];
        var timeLength = BsdTimeLength(rest);
        if (timeLength == 0)
        {
            timeLength = IsoTimeLength(rest);
        }

        if (timeLength > 0)
        {
            time = new Range(p, p + timeLength);
            p += timeLength;
            while (p < message.Length && message[p] == (byte)' ')
            {
                p++;
            }
        }

        // The CSV is the token that holds the first comma; tokens before it are the host (and perhaps a tag). Neither host
        // names nor tags contain commas, and CSV field 0 (FUTURE_USE) holds no space.
        var firstComma = message[p..].IndexOf((byte)',');
        var beforeComma = firstComma < 0 ? message[p..] : message.Slice(p, firstComma);
        var lastSpace = firstComma < 0 ? -1 : beforeComma.LastIndexOf((byte)' ');
        if (lastSpace > 0)
        {
            host = HostToken(beforeComma[..lastSpace], p);
        }

        csvStart = lastSpace < 0 ? p : p + lastSpace + 1;
        return true;
    }

    // The host is the last token that is not a tag ("panos:", "panos[12]:"); with an unrecognised time in front
    // ("Nov 30 2018 16:09:08 fw"), the last token is still the host.
    private static Range HostToken(ReadOnlySpan<byte> tokens, int offset)
    {
        var end = tokens.Length;
        while (end > 0)
        {
            while (end > 0 && tokens[end - 1] == (byte)' ')
            {
                end--;
            }

            var start = tokens[..end].LastIndexOf((byte)' ') + 1;
            if (end > start && tokens[end - 1] != (byte)':')
            {
                return new Range(offset + start, offset + end);
            }

            end = start;
        }

        return default;
    }

    private static bool TryParsePri(ReadOnlySpan<byte> message, out int end)
    {
        end = 0;
        var value = 0;
        var i = 1;
        for (; i < message.Length && i <= 4 && IsDigit(message[i]); i++)
        {
            value = (value * 10) + (message[i] - '0');
        }

        if (i == 1 || i > 4 || i >= message.Length || message[i] != (byte)'>' || value > MaxPri)
        {
            return false;
        }

        end = i + 1;
        return true;
    }

    // RFC 5424 VERSION = NONZERO-DIGIT 0*2DIGIT, followed by SP.
    private static bool IsVersion(ReadOnlySpan<byte> text, out int length)
    {
        length = 0;
        var i = 0;
        while (i < text.Length && i < 3 && IsDigit(text[i]))
        {
            i++;
        }

        if (i == 0 || text[0] == (byte)'0' || i >= text.Length || text[i] != (byte)' ')
        {
            return false;
        }

        length = i + 1;
        return true;
    }

    private static bool TryParseRfc5424(ReadOnlySpan<byte> message, int p, out int csvStart, out Range host, out Range time)
    {
        csvStart = 0;
        host = default;
        time = default;

        // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, each a non-empty token followed by one space; "-" is NILVALUE.
        Span<Range> tokens = stackalloc Range[5];
        for (var t = 0; t < tokens.Length; t++)
        {
            var space = message[p..].IndexOf((byte)' ');
            if (space <= 0)
            {
                return false;
            }

            tokens[t] = new Range(p, p + space);
            p += space + 1;
        }

        if (!IsNil(message[tokens[0]]))
        {
            time = tokens[0];
        }

        if (!IsNil(message[tokens[1]]))
        {
            host = tokens[1];
        }

        if (p >= message.Length)
        {
            return false;
        }

        if (message[p] == (byte)'-')
        {
            p++;
        }
        else if (message[p] == (byte)'[')
        {
            if (!TrySkipStructuredData(message, ref p))
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        if (p < message.Length)
        {
            if (message[p] != (byte)' ')
            {
                return false;
            }

            p++;
            if (message[p..].StartsWith("\uFEFF"u8))
            {
                p += 3;
            }
        }

        csvStart = p;
        return true;
    }

    // SD-ELEMENTs: "[" SD-ID *(SP PARAM-NAME "=" DQUOTE value DQUOTE) "]", values escape '"', '\' and ']' with '\'.
    private static bool TrySkipStructuredData(ReadOnlySpan<byte> message, ref int p)
    {
        while (p < message.Length && message[p] == (byte)'[')
        {
            p++;
            var inValue = false;
            var closed = false;
            while (p < message.Length)
            {
                var b = message[p++];
                if (inValue)
                {
                    if (b == (byte)'\\')
                    {
                        p++;
                    }
                    else if (b == (byte)'"')
                    {
                        inValue = false;
                    }
                }
                else if (b == (byte)'"')
                {
                    inValue = true;
                }
                else if (b == (byte)']')
                {
                    closed = true;
                    break;
                }
            }

            if (!closed)
            {
                return false;
            }
        }

        return true;
    }

    // "Mmm dd hh:mm:ss" or "Mmm d hh:mm:ss" (day space-padded or not), followed by a space or the end.
    private static int BsdTimeLength(ReadOnlySpan<byte> text)
    {
        if (text.Length < 14 || !IsAsciiLetter(text[0]) || !IsAsciiLetter(text[1]) || !IsAsciiLetter(text[2]) || text[3] != (byte)' ')
        {
            return 0;
        }

        var i = 4;
        if (text[i] == (byte)' ')
        {
            i++;
        }

        if (!IsDigit(text[i]))
        {
            return 0;
        }

        i++;
        if (IsDigit(text[i]))
        {
            i++;
        }

        if (text.Length < i + 9 || text[i] != (byte)' ')
        {
            return 0;
        }

        var clock = text.Slice(i + 1, 8);
        if (!IsDigit(clock[0]) || !IsDigit(clock[1]) || clock[2] != (byte)':' || !IsDigit(clock[3]) || !IsDigit(clock[4])
            || clock[5] != (byte)':' || !IsDigit(clock[6]) || !IsDigit(clock[7]))
        {
            return 0;
        }

        var end = i + 9;
        return end == text.Length || text[end] == (byte)' ' ? end : 0;
    }

    // An RFC 3339 time ("2018-11-30T16:09:08.123+01:00") in place of the BSD time: a token of the form dddd-dd-ddT...
    private static int IsoTimeLength(ReadOnlySpan<byte> text)
    {
        if (text.Length < 11 || !IsDigit(text[0]) || !IsDigit(text[1]) || !IsDigit(text[2]) || !IsDigit(text[3])
            || text[4] != (byte)'-' || text[7] != (byte)'-' || (text[10] | 0x20) != (byte)'t')
        {
            return 0;
        }

        var space = text.IndexOf((byte)' ');
        return space < 0 ? 0 : space;
    }

    private static bool IsNil(ReadOnlySpan<byte> token) => token.Length == 1 && token[0] == (byte)'-';

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsAsciiLetter(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a';
}
