namespace PortMismatch.Detection.Internal;

/// <summary>The core's own name for <see cref="InputText"/>.</summary>
internal static class TextEscaper
{
    public static string Escape(ReadOnlySpan<char> text) => InputText.Escape(text);

    public static string Escape(ReadOnlySpan<byte> utf8) => InputText.Escape(utf8);
}
