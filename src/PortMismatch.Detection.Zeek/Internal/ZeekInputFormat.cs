namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>Zeek conn.log as <see cref="FlowInput"/> recognises it: a TSV header or a JSON object first.</summary>
internal sealed class ZeekInputFormat(ZeekReaderOptions? options) : InputFormat("zeek")
{
    /// <inheritdoc/>
    public override bool IsMatch(ReadOnlySpan<byte> head)
    {
        // Spaces, line breaks and the bytes of a byte order mark may come first.
        var text = head.TrimStart(" \t\r\n\uFEFF"u8);
        return text.StartsWith("#separator"u8) || text.StartsWith("#fields"u8) || text.StartsWith("{"u8);
    }

    /// <inheritdoc/>
    public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
        => ZeekConnInput.StreamSource(content, name, options, diagnostics);
}
