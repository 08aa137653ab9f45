namespace PortMismatch.Detection.Internal;

/// <summary>Called with one line, without its line feed; the span is valid during the call only.</summary>
/// <param name="line">The line.</param>
internal delegate void LineHandler(ReadOnlySpan<byte> line);

/// <summary>
/// Splits a stream into lines at line feeds for the readers that take a log one line at a time (the evidence logs): a
/// buffer that grows to <c>maxLineLength</c>, a longer line reported once and skipped to its end, the last line read also
/// without a line feed.
/// </summary>
internal static class LineSplitter
{
    public static async Task ReadAsync(Stream stream, int maxLineLength, LineHandler line, Action tooLong, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(64 * 1024, maxLineLength)];
        var length = 0;
        var discarding = false;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length >= maxLineLength)
                {
                    tooLong();
                    discarding = true;
                    length = 0;
                }
                else
                {
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, maxLineLength));
                }
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            var end = length + read;
            var start = 0;
            while (true)
            {
                var at = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                if (at < 0)
                {
                    break;
                }

                if (!discarding)
                {
                    line(buffer.AsSpan(start, at));
                }

                discarding = false;
                start += at + 1;
            }

            if (read == 0)
            {
                if (start < end && !discarding)
                {
                    line(buffer.AsSpan(start, end - start));
                }

                return;
            }

            buffer.AsSpan(start, end - start).CopyTo(buffer);
            length = end - start;
        }
    }
}
