namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>Zeek's <c>\xHH</c> escapes of bytes in set and string fields.</summary>
internal static class ZeekEscapes
{
    /// <summary>Whether the text holds a backslash escape that <see cref="Unescape"/> would change.</summary>
    public static bool HasEscape(ReadOnlySpan<byte> text) => text.Contains((byte)'\\');

    /// <summary>
    /// Decodes Zeek's <c>\xHH</c> escapes into <paramref name="destination"/> (at least as long as the text); a backslash
    /// that does not start a valid escape is copied as is. Returns the decoded length.
    /// </summary>
    public static int Unescape(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            if (b == (byte)'\\' && i + 3 < text.Length && text[i + 1] == (byte)'x'
                && TryHex(text[i + 2], out var high) && TryHex(text[i + 3], out var low))
            {
                destination[written++] = (byte)((high << 4) | low);
                i += 3;
            }
            else
            {
                destination[written++] = b;
            }
        }

        return written;
    }

    private static bool TryHex(byte b, out int value)
    {
        value = b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
