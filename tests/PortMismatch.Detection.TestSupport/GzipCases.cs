using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace PortMismatch.Detection.TestSupport;

/// <summary>
/// Gzip files written byte by byte after RFC 1952 (deflate data from <see cref="DeflateStream"/>, CRC-32 by a bitwise
/// reference, not by the library's code): the valid shapes every adapter must read whole and the damaged ones it must
/// refuse with <c>corrupt-compressed-input</c> at a known offset. Each case carries two parts of the adapter's content
/// (records <c>1..n1</c>, then <c>n1+1..n1+n2</c>) so that a test can check which records were read before the damage.
/// Also linked into the fuzz harnesses, for the seeds of their gzip targets: no xUnit here.
/// </summary>
public static class GzipCases
{
    /// <summary>The names of the valid cases.</summary>
    public static readonly string[] ValidNames =
    [
        "one-member", "two-members", "empty-members-around", "all-header-fields", "sync-flush-inside", "full-flush-inside",
        "stored-blocks", "empty-file",
    ];

    /// <summary>The names of the damaged cases.</summary>
    public static readonly string[] DamagedNames =
    [
        "cut-at-flush", "cut-mid-block", "cut-before-trailer", "cut-inside-trailer", "crc-mismatch",
        "isize-mismatch", "trailing-garbage", "trailing-zeros", "header-cut-short", "file-name-cut-short", "bad-header-flags",
        "bad-method", "bad-header-crc", "second-member-cut", "corrupt-deflate-block",
    ];

    /// <summary>Makes a case.</summary>
    /// <param name="name">One of <see cref="ValidNames"/> or <see cref="DamagedNames"/>.</param>
    /// <param name="first">The first part of the content (records 1..n1; for Zeek with its header).</param>
    /// <param name="firstRecords">n1.</param>
    /// <param name="second">The second part (records n1+1..n1+n2, no header).</param>
    /// <param name="secondRecords">n2.</param>
    /// <returns>The case.</returns>
    public static GzipCase Make(string name, byte[] first, int firstRecords, byte[] second, int secondRecords)
    {
        var all = Concat(first, second);
        var total = firstRecords + secondRecords;
        var whole = Member(all);
        switch (name)
        {
            case "one-member":
                return GzipCase.Valid(name, whole, total);
            case "two-members":
                return GzipCase.Valid(name, Concat(Member(first), Member(second)), total);
            case "empty-members-around":
                return GzipCase.Valid(name, Concat(Member([]), Member(first), Member([]), Member(second), Member([])), total);
            case "all-header-fields":
                return GzipCase.Valid(name, Member(all, extra: [(byte)'A', (byte)'p', 2, 0, 0x13, 0x37], fileName: "conn.00:00:00-01:00:00.log", comment: "rotated", headerCrc: true), total);
            case "sync-flush-inside":
                return GzipCase.Valid(name, Member(first, second, fullFlush: false, out _), total);
            case "full-flush-inside":
                return GzipCase.Valid(name, Member(first, second, fullFlush: true, out _), total);
            case "stored-blocks":
                return GzipCase.Valid(name, Member(all, level: CompressionLevel.NoCompression), total);
            case "empty-file":
                return GzipCase.Valid(name, [], 0);
        }

        var header = Header();
        var flushed = Deflate(first, flush: true);
        var flushedAll = Concat(flushed, Deflate(second, flush: false));
        var body = Deflate(all, flush: false);
        var trailer = Trailer(all);
        var cutHeader = (byte[])header.Clone();
        switch (name)
        {
            case "cut-at-flush":
            {
                // One deflater, flushed after the first part (an empty stored block, 00 00 ff ff), cut there. A sync and a
                // full flush write the same bytes up to that point (they differ in what the deflater writes after it), so
                // this one cut stands for both.
                var synced = DeflateWithSyncFlush(first, second, out var flushEnd);
                var bytes = Concat(header, synced[..flushEnd]);
                return GzipCase.Damaged(name, bytes, bytes.Length, firstRecords, firstRecords);
            }

            case "cut-mid-block":
            {
                var bytes = Concat(header, flushedAll[..(flushed.Length + ((flushedAll.Length - flushed.Length) / 2))]);
                return GzipCase.Damaged(name, bytes, bytes.Length, firstRecords, total - 1);
            }

            case "cut-before-trailer":
            {
                var bytes = Concat(header, body);
                return GzipCase.Damaged(name, bytes, bytes.Length, total, total);
            }

            case "cut-inside-trailer":
            {
                var bytes = Concat(header, body, trailer[..5]);
                return GzipCase.Damaged(name, bytes, bytes.Length, total, total);
            }

            case "crc-mismatch":
            {
                var bad = (byte[])trailer.Clone();
                bad[1] ^= 0x40;
                return GzipCase.Damaged(name, Concat(header, body, bad), header.Length + body.Length, total, total);
            }

            case "isize-mismatch":
            {
                var bad = (byte[])trailer.Clone();
                bad[4] ^= 0x01;
                return GzipCase.Damaged(name, Concat(header, body, bad), header.Length + body.Length + 4, total, total);
            }

            case "trailing-garbage":
                return GzipCase.Damaged(name, Concat(whole, "garbage after the member\n"u8.ToArray()), whole.Length, total, total);
            case "trailing-zeros":
                return GzipCase.Damaged(name, Concat(whole, new byte[64]), whole.Length, total, total);
            case "header-cut-short":
                return GzipCase.Damaged(name, header[..5], 5, 0, 0);
            case "file-name-cut-short":
            {
                cutHeader[3] = 0x08; // FNAME, and the name never ends
                var bytes = Concat(cutHeader, "conn.log"u8.ToArray());
                return GzipCase.Damaged(name, bytes, bytes.Length, 0, 0);
            }

            case "bad-header-flags":
                cutHeader[3] = 0x20; // a reserved flag
                return GzipCase.Damaged(name, Concat(cutHeader, body, trailer), 3, 0, 0);
            case "bad-method":
                cutHeader[2] = 7;
                return GzipCase.Damaged(name, Concat(cutHeader, body, trailer), 2, 0, 0);
            case "bad-header-crc":
            {
                var withCrc = Member(all, headerCrc: true);
                withCrc[10] ^= 0xFF; // the CRC-16 right after the fixed header
                return GzipCase.Damaged(name, withCrc, 10, 0, 0);
            }

            case "second-member-cut":
            {
                var second2 = Member(second);
                var bytes = Concat(Member(first), second2[..(second2.Length / 2)]);
                return GzipCase.Damaged(name, bytes, bytes.Length, firstRecords, total - 1);
            }

            case "corrupt-deflate-block":
                // A final block of the reserved type 3 (BFINAL=1, BTYPE=11): found in the first byte of the deflate data.
                return GzipCase.Damaged(name, Concat(header, [0x07], new byte[64]), header.Length, 0, 0);
            default:
                throw new ArgumentException($"unknown case {name}", nameof(name));
        }
    }

    /// <summary>A gzip member of <paramref name="content"/>.</summary>
    public static byte[] Member(byte[] content, byte[]? extra = null, string? fileName = null, string? comment = null, bool headerCrc = false, CompressionLevel level = CompressionLevel.Optimal)
    {
        var header = new List<byte>(Header());
        header[3] = (byte)((extra is null ? 0 : 0x04) | (fileName is null ? 0 : 0x08) | (comment is null ? 0 : 0x10) | (headerCrc ? 0x02 : 0));
        if (extra is not null)
        {
            header.Add((byte)extra.Length);
            header.Add((byte)(extra.Length >> 8));
            header.AddRange(extra);
        }

        foreach (var text in new[] { fileName, comment })
        {
            if (text is not null)
            {
                header.AddRange(Encoding.Latin1.GetBytes(text));
                header.Add(0);
            }
        }

        if (headerCrc)
        {
            var crc = Crc32([.. header]);
            header.Add((byte)crc);
            header.Add((byte)(crc >> 8));
        }

        return Concat([.. header], Deflate(content, flush: false, level), Trailer(content));
    }

    /// <summary>
    /// A gzip member of two parts with a flush between them. Both flushes end the block of the first part and write an empty
    /// stored block (<c>00 00 ff ff</c>, byte-aligned). A sync flush (Z_SYNC_FLUSH, what <see cref="DeflateStream.Flush"/>
    /// does) keeps the deflater's history, so the second part's data may copy strings of the first; a full flush
    /// (Z_FULL_FLUSH) also resets it, so that inflating can start at the flush point. DeflateStream cannot ask zlib for
    /// a full flush, so the second part is compressed by a fresh deflater, which is what a reset deflater writes: no
    /// string of it refers to the first part.
    /// </summary>
    /// <param name="first">The content before the flush.</param>
    /// <param name="second">The content after it.</param>
    /// <param name="fullFlush">A full flush (else a sync flush).</param>
    /// <param name="flushEnd">The offset in the member where the flush's empty stored block ends.</param>
    /// <returns>The member.</returns>
    public static byte[] Member(byte[] first, byte[] second, bool fullFlush, out int flushEnd)
    {
        byte[] body;
        if (fullFlush)
        {
            var flushed = Deflate(first, flush: true);
            flushEnd = flushed.Length;
            body = Concat(flushed, Deflate(second, flush: false));
        }
        else
        {
            body = DeflateWithSyncFlush(first, second, out flushEnd);
        }

        var header = Header();
        flushEnd += header.Length;
        return Concat(header, body, Trailer(Concat(first, second)));
    }

    /// <summary>The CRC-32 of RFC 1952, bit by bit.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>Concatenates byte arrays.</summary>
    public static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(p => p.Length)];
        var at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(result, at);
            at += part.Length;
        }

        return result;
    }

    private static byte[] Header() => [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3];

    private static byte[] Trailer(byte[] content)
    {
        var trailer = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32(content));
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(4), (uint)content.Length);
        return trailer;
    }

    // Raw deflate data; with flush, not final and ending in a sync flush (so that more deflate data may follow it).
    private static byte[] Deflate(byte[] content, bool flush, CompressionLevel level = CompressionLevel.Optimal)
    {
        if (content.Length == 0 && !flush)
        {
            return [0x03, 0x00]; // what gzip and zlib write for nothing (DeflateStream writes no byte at all)
        }

        using var output = new MemoryStream();
        var deflate = new DeflateStream(output, level, leaveOpen: true);
        deflate.Write(content);
        if (flush)
        {
            deflate.Flush();
            var flushed = output.ToArray();
            deflate.Dispose();
            return flushed;
        }

        deflate.Dispose();
        return output.ToArray();
    }

    private static byte[] DeflateWithSyncFlush(byte[] first, byte[] second, out int flushEnd)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(first);
            deflate.Flush();
            flushEnd = (int)output.Length;
            deflate.Write(second);
        }

        return output.ToArray();
    }
}

/// <summary>A gzip file and what an adapter must make of it.</summary>
/// <param name="Name">The case.</param>
/// <param name="Bytes">The file.</param>
/// <param name="IsDamaged">Whether it must be refused with <c>corrupt-compressed-input</c>.</param>
/// <param name="Offset">The byte offset the error must carry (damaged cases).</param>
/// <param name="MinRecords">The fewest records that must have been read (all of them for a valid case).</param>
/// <param name="MaxRecords">The most records that may have been read.</param>
public sealed record GzipCase(string Name, byte[] Bytes, bool IsDamaged, long Offset, int MinRecords, int MaxRecords)
{
    /// <summary>A valid file of <paramref name="records"/> records.</summary>
    public static GzipCase Valid(string name, byte[] bytes, int records) => new(name, bytes, false, -1, records, records);

    /// <summary>A damaged file.</summary>
    public static GzipCase Damaged(string name, byte[] bytes, long offset, int minRecords, int maxRecords) => new(name, bytes, true, offset, minRecords, maxRecords);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
