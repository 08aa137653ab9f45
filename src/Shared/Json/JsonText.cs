using System.Text.Json;

namespace PortMismatch.Detection.Internal;

/// <summary>
/// The text of <see cref="Utf8JsonReader"/> tokens as the NDJSON readers (Zeek's JSON writer, Suricata's EVE) take it
/// without allocating: names and short values point into the line unless escaped, else are unescaped into a caller's
/// buffer; an escaped lone surrogate (<c>"\udd00"</c>, valid JSON syntax but no text) reads as no text.
/// </summary>
internal static class JsonText
{
    /// <summary>A property name, unescaped if needed; empty when it cannot be a known name (too long, or no text).</summary>
    public static ReadOnlySpan<byte> PropertyName(in Utf8JsonReader reader, Span<byte> buffer)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        // An escaped name longer than any known one cannot be known.
        return reader.ValueSpan.Length <= buffer.Length * 6 && reader.ValueSpan.Length < 192 && TryCopy(in reader, buffer, out var length)
            ? buffer[..length]
            : default;
    }

    /// <summary>A short string value (an address, a name, a time), unescaped if needed; a lone backslash if it does not fit or is no text.</summary>
    public static ReadOnlySpan<byte> ShortString(in Utf8JsonReader reader, Span<byte> buffer)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        return TryCopy(in reader, buffer, out var length) ? buffer[..length] : "\\"u8;
    }

    /// <summary>Unescapes the token into <paramref name="buffer"/>; false when it does not fit or is no text.</summary>
    public static bool TryCopy(in Utf8JsonReader reader, Span<byte> buffer, out int length)
    {
        length = 0;
        try
        {
            length = reader.CopyString(buffer);
            return true;
        }
        catch (ArgumentException)
        {
            return false; // longer than the buffer once unescaped
        }
        catch (InvalidOperationException)
        {
            return false; // an escaped lone surrogate ("\udd00"): valid JSON syntax, but no text
        }
    }
}
