using System.Buffers;
using Microsoft.Win32.SafeHandles;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>
/// Plans the parallel read of one large uncompressed conn.log: the header block (TSV) or nothing (NDJSON), and ranges that
/// start at line starts. A file is split only when that cannot change what is read: no header directive except
/// <c>#close</c> between the first header block and the start of the last part (a concatenated log with a new header there
/// is read in one piece; one in the last part is read by that part like any header). Line numbers are not
/// counted here (that would read the file twice for a number only diagnostics use): see <see cref="CountLineEnds"/>.
/// </summary>
internal static class FileSplitter
{
    /// <summary>A part smaller than this is not worth a thread.</summary>
    public const long MinPartBytes = 8L << 20;

    // The header block must fit (Zeek writes well under 1 KiB; a longer block gives no split): more would be a large
    // allocation and a copy for nothing.
    private const int HeadBytes = 64 * 1024;
    private const int ScanBuffer = 1 << 20;

    /// <summary>
    /// Plans a split, or null when the file is not worth splitting or cannot be split safely. With
    /// <paramref name="checkHeaders"/> false the bytes before the last part are not checked for header directives: the
    /// parts' readers then watch their own lines instead (see <see cref="ZeekReaderState.WatchHeaderDirectives"/>).
    /// </summary>
    public static Plan? TryPlan(SafeFileHandle file, int maxParts, long minPartBytes, bool checkHeaders)
    {
        var length = RandomAccess.GetLength(file);
        var parts = (int)Math.Min(maxParts, length / minPartBytes);
        if (parts < 2)
        {
            return null;
        }

        var head = new byte[(int)Math.Min(length, HeadBytes)];
        if (ReadFully(file, head, 0) < head.Length || CompressedInput.IsGzip(head))
        {
            return null;
        }

        var bom = head.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        var headerEnd = bom;
        var headerLines = 0;
        while (headerEnd < head.Length && head[headerEnd] == (byte)'#')
        {
            var lf = head.AsSpan(headerEnd).IndexOf((byte)'\n');
            if (lf < 0)
            {
                return null;
            }

            headerEnd += lf + 1;
            headerLines++;
        }

        var first = head.AsSpan(headerEnd).IndexOfAnyExcept((byte)' ', (byte)'\t');
        if (headerLines == 0 && (first < 0 || head[headerEnd + first] != (byte)'{'))
        {
            return null; // neither a TSV header nor NDJSON: let the reader say what it is
        }

        // Range starts: just after the first LF at or past each even cut.
        var starts = new long[parts];
        starts[0] = headerEnd;
        var probe = new byte[64 * 1024];
        for (var k = 1; k < parts; k++)
        {
            var cut = headerEnd + ((length - headerEnd) * k / parts);
            var n = ReadFully(file, probe, cut);
            var lf = probe.AsSpan(0, n).IndexOf((byte)'\n');
            if (lf < 0 || cut + lf + 1 <= starts[k - 1])
            {
                return null;
            }

            starts[k] = cut + lf + 1;
        }

        // Only the bytes before the last part can hold a header that changes what a part reads: each part applies the
        // header lines of its own range as it reads them, so a new header matters only to the parts after it. Those bytes
        // are checked in as many even pieces, in parallel.
        var checkEnd = starts[parts - 1];
        var safe = true;
        Parallel.For(0, checkHeaders ? parts : 0, k =>
        {
            var from = headerEnd + ((checkEnd - headerEnd) * k / parts);
            var to = headerEnd + ((checkEnd - headerEnd) * (k + 1) / parts);
            if (from < to && !Scan(file, from, to))
            {
                Volatile.Write(ref safe, false);
            }
        });

        if (!safe)
        {
            return null;
        }

        var result = new Part[parts];
        for (var k = 0; k < parts; k++)
        {
            result[k] = new Part(starts[k], k + 1 < parts ? starts[k + 1] : length);
        }

        return new Plan(head.AsSpan(bom, headerEnd - bom).ToArray(), bom, headerLines, result);
    }

    /// <summary>
    /// Counts the line feeds in the first <paramref name="end"/> bytes of a file: the number of lines before a part that
    /// starts there. -1 when the file cannot be read that far any more.
    /// </summary>
    public static long CountLineEnds(string path, long end)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ScanBuffer);
        try
        {
            using var file = InputFile.OpenHandle(path);
            long lineEnds = 0;
            for (long position = 0; position < end;)
            {
                var n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - position)), position);
                if (n == 0)
                {
                    return -1;
                }

                lineEnds += buffer.AsSpan(0, n).Count((byte)'\n');
                position += n;
            }

            return lineEnds;
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Checks that every line starting with '#' in a range (which may start mid-line) is a <c>#close</c>. Reads, not a
    /// memory map: a log truncated while mapped (logrotate's copytruncate) would kill the process with SIGBUS.
    /// </summary>
    private static bool Scan(SafeFileHandle file, long start, long end)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ScanBuffer);
        try
        {
            Span<byte> before = stackalloc byte[1];
            var atLineStart = start == 0 || (RandomAccess.Read(file, before, start - 1) == 1 && before[0] == (byte)'\n');
            for (var position = start; position < end;)
            {
                var n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - position)), position);
                if (n == 0)
                {
                    return false; // the file shrank
                }

                var chunk = buffer.AsSpan(0, n);
                for (var i = chunk.IndexOf((byte)'#'); i >= 0; i = NextHash(chunk, i))
                {
                    var lineStart = i == 0 ? atLineStart : chunk[i - 1] == (byte)'\n';
                    if (lineStart && !IsClose(file, chunk, i, position))
                    {
                        return false;
                    }
                }

                atLineStart = chunk[^1] == (byte)'\n';
                position += n;
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int NextHash(ReadOnlySpan<byte> chunk, int i)
    {
        var next = chunk[(i + 1)..].IndexOf((byte)'#');
        return next < 0 ? -1 : i + 1 + next;
    }

    private static bool IsClose(SafeFileHandle file, ReadOnlySpan<byte> chunk, int i, long chunkStart)
    {
        if (chunk.Length - i >= 6)
        {
            return chunk.Slice(i, 6).SequenceEqual("#close"u8);
        }

        Span<byte> word = stackalloc byte[6];
        return RandomAccess.Read(file, word, chunkStart + i) == 6 && word.SequenceEqual("#close"u8);
    }

    private static int ReadFully(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(file, buffer[total..], offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    /// <summary>A split: the header block (without a BOM), the BOM's length, the header's line count, and the ranges.</summary>
    internal sealed record Plan(byte[] Header, int BomLength, int HeaderLines, Part[] Parts);

    /// <summary>A range of the file.</summary>
    internal readonly record struct Part(long Start, long End);
}
