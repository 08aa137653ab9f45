using System.Text.Json;

namespace PortMismatch.Detection.Suricata.Internal;

/// <summary>
/// Suricata EVE JSON as <see cref="FlowInput"/> recognises it: the first line (after any byte order mark and blank lines)
/// is a JSON object with a string <c>event_type</c> and a string <c>timestamp</c>, read with the reader's JSON reader. An
/// eve.json starts with whatever event came first (stats, alert, dns, flow), so any event type counts.
/// </summary>
internal sealed class SuricataInputFormat(SuricataReaderOptions? options) : InputFormat("suricata")
{
    /// <inheritdoc/>
    public override bool IsMatch(ReadOnlySpan<byte> head) => Recognise(head);

    /// <inheritdoc/>
    public override string ExplainMismatch(ReadOnlySpan<byte> head)
        => Recognise(head) ? "it is" : "no JSON object with Suricata EVE's event_type and timestamp";

    /// <inheritdoc/>
    public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
        => SuricataEveInput.StreamSource(content, name, options, diagnostics);

    /// <summary>Whether the first line of <paramref name="head"/> is an EVE event (it may be cut at the end of the head).</summary>
    internal static bool Recognise(ReadOnlySpan<byte> head)
    {
        var text = head.StartsWith("\uFEFF"u8) ? head[3..] : head;
        text = text.TrimStart(" \t\r\n"u8);
        var lineFeed = text.IndexOf((byte)'\n');
        var line = lineFeed < 0 ? text : text[..lineFeed];
        if (line.IsEmpty || line[0] != (byte)'{')
        {
            return false;
        }

        // Reads the keys of the top-level object as far as the head goes: a cut line is not an error here.
        var reader = new Utf8JsonReader(line, isFinalBlock: lineFeed >= 0, new JsonReaderState(new JsonReaderOptions { MaxDepth = 64 }));
        var hasEventType = false;
        var hasTimestamp = false;
        try
        {
            if (!reader.Read())
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isEventType = reader.ValueTextEquals("event_type"u8);
                var isTimestamp = reader.ValueTextEquals("timestamp"u8);
                if (!reader.Read())
                {
                    break;
                }

                hasEventType |= isEventType && reader.TokenType == JsonTokenType.String;
                hasTimestamp |= isTimestamp && reader.TokenType == JsonTokenType.String;
                if (hasEventType && hasTimestamp)
                {
                    return true;
                }

                if (!reader.TrySkip())
                {
                    break;
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return false;
    }
}
