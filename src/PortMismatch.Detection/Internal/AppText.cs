using System.Buffers;
using System.Text;

namespace PortMismatch.Detection.Internal;

/// <summary>
/// The one place where an app value's bytes become the text of a row (<see cref="MismatchRow.App"/>). It prints the value as
/// Zeek's ASCII writer prints a string with UTF-8 enabled, so that a Zeek log's row reads as Splunk shows that log: well-formed
/// UTF-8 is kept; a backslash, a C0 control, DEL and every byte that is not part of a well-formed UTF-8 sequence are written
/// <c>\xHH</c> (two lower-case hex digits). Since every backslash in the text starts such an escape, the text determines the
/// bytes (replace each <c>\xHH</c> by its byte and encode the rest as UTF-8): two different values never print the same, so
/// rows that callers combine by their app text (the console host does) stay apart.
/// </summary>
internal static class AppText
{
    // Bytes that are not printed as themselves or that may start a multi-byte sequence: C0, backslash, DEL and above.
    private static readonly SearchValues<byte> NotPlainAscii = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'\\', .. Enumerable.Range(0x7F, 0x81).Select(b => (byte)b)]);

    /// <summary>Makes the text of <paramref name="value"/>.</summary>
    /// <param name="value">The value's bytes.</param>
    /// <returns>The text.</returns>
    public static string FromUtf8(ReadOnlySpan<byte> value)
    {
        var at = value.IndexOfAny(NotPlainAscii);
        if (at < 0)
        {
            return Encoding.ASCII.GetString(value);
        }

        var text = new StringBuilder(value.Length + 8);
        text.Append(Encoding.ASCII.GetString(value[..at]));
        Span<char> utf16 = stackalloc char[2];
        var rest = value[at..];
        while (!rest.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(rest, out var rune, out var consumed);
            if (status == OperationStatus.Done && rune.Value is >= 0x20 and not '\\' and not 0x7F)
            {
                text.Append(utf16[..rune.EncodeToUtf16(utf16)]);
            }
            else
            {
                // An escaped character, or the bytes of an ill-formed sequence one by one (the decoder gives the longest
                // ill-formed prefix: a truncated sequence is escaped whole, the byte after it read afresh).
                AppendEscaped(text, rest[..consumed]);
            }

            rest = rest[consumed..];
        }

        return text.ToString();
    }

    /// <summary>
    /// Appends each byte as <c>\xHH</c> (two lower-case hex digits): the notation of escaped bytes in row text, which
    /// <see cref="TableRowWriter"/> also uses for the characters it hides.
    /// </summary>
    public static void AppendEscaped(StringBuilder text, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            text.Append('\\').Append('x').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
        }
    }

    private static char HexDigit(int nibble) => (char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}
