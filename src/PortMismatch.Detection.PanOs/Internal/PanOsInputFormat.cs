namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>The PAN-OS format of <see cref="FlowInput"/> (<see cref="PanOsTrafficInput.Format"/>), reading with fixed options.</summary>
internal sealed class PanOsInputFormat(PanOsReaderOptions options) : InputFormat("panos")
{
    /// <inheritdoc/>
    public override bool IsMatch(ReadOnlySpan<byte> head)
    {
        // A pcapng capture starts with line breaks (its magic, 0A 0D 0D 0A) and then its block length, whose first byte is
        // '<' for a 60-byte section header: not syslog, whatever order the formats are tried in.
        if (head.StartsWith((ReadOnlySpan<byte>)[0x0A, 0x0D, 0x0D, 0x0A]))
        {
            return false;
        }

        // Blanks and a byte order mark (its bytes EF BB BF) may come first.
        var text = head.TrimStart(" \t\r\n\uFEFF"u8);

        // Syslog (<pri>), RFC 6587 octet counting (digits, space, <pri>), or a bare PAN-OS CSV line (FUTURE_USE, receive time).
        var digits = text.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        return text.StartsWith("<"u8) || (digits > 0 && (text[digits] == (byte)' ' || text[digits] == (byte)','));
    }

    /// <inheritdoc/>
    public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
        => PanOsTrafficInput.StreamSource(content, name, options, diagnostics);
}
