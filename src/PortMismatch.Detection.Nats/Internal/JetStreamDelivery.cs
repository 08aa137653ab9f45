using System.Buffers;
using System.Text;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// What a pull consumer's delivery says, read from the raw message without the client's per-message objects: the
/// sequences in the reply (acknowledgement) subject, the status line of a status message, and the two flow headers.
/// </summary>
internal static class JetStreamDelivery
{
    /// <summary>
    /// Reads a delivery's reply subject: <c>$JS.ACK.&lt;stream&gt;.&lt;consumer&gt;.&lt;delivered&gt;.&lt;stream seq&gt;.&lt;consumer
    /// seq&gt;.&lt;time&gt;.&lt;pending&gt;</c> (9 tokens), or the form with domain and account hash in front and a random token at
    /// the end (12 or more tokens, nats-server 2.10 and later).
    /// </summary>
    /// <returns>False when the subject is neither form or a number does not parse.</returns>
    public static bool TryParseAckSubject(ReadOnlySpan<char> reply, out ulong streamSequence, out ulong consumerSequence, out ulong pending)
    {
        streamSequence = consumerSequence = pending = 0;
        if (!reply.StartsWith("$JS.ACK.", StringComparison.Ordinal))
        {
            return false;
        }

        var tokens = reply.Count('.') + 1;
        var first = tokens switch
        {
            9 => 5,   // $JS ACK stream consumer delivered [sseq cseq time pending]
            >= 12 => 7, // $JS ACK domain hash stream consumer delivered [sseq cseq time pending] token...
            _ => -1,
        };
        if (first < 0)
        {
            return false;
        }

        var rest = reply;
        for (var i = 0; i < first; i++)
        {
            rest = rest[(rest.IndexOf('.') + 1)..];
        }

        return TryNext(ref rest, out streamSequence) && TryNext(ref rest, out consumerSequence)
            && TryNext(ref rest, out _) && TryNext(ref rest, out pending);

        static bool TryNext(ref ReadOnlySpan<char> text, out ulong value)
        {
            var dot = text.IndexOf('.');
            var token = dot < 0 ? text : text[..dot];
            text = dot < 0 ? [] : text[(dot + 1)..];
            value = 0;
            if (token.IsEmpty || token.Length > 20)
            {
                return false;
            }

            foreach (var c in token)
            {
                var digit = (uint)(c - '0');
                if (digit > 9 || value > (ulong.MaxValue - digit) / 10)
                {
                    return false;
                }

                value = (value * 10) + digit;
            }

            return true;
        }
    }

    /// <summary>
    /// Gets the status of a message with headers: 0 for a plain <c>NATS/1.0</c> header block (a stored message's headers),
    /// else the three-digit code of <c>NATS/1.0 404 No Messages</c> and its kind; -1 when the block does not start so.
    /// </summary>
    public static int StatusCode(in ReadOnlySequence<byte> headers)
    {
        Span<byte> start = stackalloc byte[12];
        var length = (int)Math.Min(headers.Length, start.Length);
        headers.Slice(0, length).CopyTo(start);
        start = start[..length];
        if (!start.StartsWith("NATS/1.0"u8))
        {
            return -1;
        }

        if (length < 12 || start[8] != (byte)' ')
        {
            return 0;
        }

        var code = 0;
        for (var i = 9; i < 12; i++)
        {
            var digit = (uint)(start[i] - '0');
            if (digit > 9)
            {
                return -1;
            }

            code = (code * 10) + (int)digit;
        }

        return code;
    }

    /// <summary>
    /// Finds <see cref="NatsFlowFormats.FormatHeader"/> and <see cref="NatsFlowFormats.ExporterHeader"/> in a raw header block
    /// (names compared without case, values trimmed, the last one wins, as the client's header dictionary does); strings are
    /// made only for those two.
    /// </summary>
    public static void FindFlowHeaders(in ReadOnlySequence<byte> headers, out string? format, out string? exporter)
    {
        format = exporter = null;
        byte[]? rented = null;
        var length = checked((int)headers.Length);
        Span<byte> block = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            headers.CopyTo(block);
            var lineEnd = block.IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                return;
            }

            block = block[(lineEnd + 2)..]; // the NATS/1.0 line
            while (!block.IsEmpty)
            {
                lineEnd = block.IndexOf("\r\n"u8);
                var line = lineEnd < 0 ? block : block[..lineEnd];
                block = lineEnd < 0 ? [] : block[(lineEnd + 2)..];
                var colon = line.IndexOf((byte)':');
                if (colon <= 0)
                {
                    continue;
                }

                var name = line[..colon].Trim((byte)' ');
                if (Ascii.EqualsIgnoreCase(name, "PortMismatch-Format"u8))
                {
                    format = Encoding.UTF8.GetString(line[(colon + 1)..].Trim(" \t"u8));
                }
                else if (Ascii.EqualsIgnoreCase(name, "PortMismatch-Exporter"u8))
                {
                    exporter = Encoding.UTF8.GetString(line[(colon + 1)..].Trim(" \t"u8));
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
