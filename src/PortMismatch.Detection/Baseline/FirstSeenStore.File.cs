using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace PortMismatch.Detection;

/// <remarks>
/// The file: the magic <c>PMFSTORE</c>, the format version (int32, 1), the entry count (int64), the entries in key order,
/// and the SHA-256 of everything before it. An entry: a flag byte (1 for a pair), the source's and the server's address
/// (a length byte, 0, 4 or 16, then the bytes in network order), the port (uint16), the app value (an int32 length and
/// UTF-8), first and last seen (int64 Unix microseconds), the count, the last day (int64 days since 1970-01-01 UTC), the
/// day bits (uint64) and the days seen (int32); numbers little-endian.
/// </remarks>
public sealed partial class FirstSeenStore
{
    private const int Version = 1;
    private const int MaxAppBytes = 1 << 20;
    private const int HashLength = 32;
    private static ReadOnlySpan<byte> Magic => "PMFSTORE"u8;

    private void Write(string path)
    {
        var temporary = path + ".tmp";
        var entries = new List<KeyValuePair<StoreKey, StoreEntry>>(_entries);
        entries.Sort(static (a, b) => a.Key.CompareTo(b.Key));
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[64 * 1024];
            var used = 0;
            void Flush()
            {
                hash.AppendData(buffer, 0, used);
                file.Write(buffer, 0, used);
                used = 0;
            }

            Span<byte> header = stackalloc byte[20];
            Magic.CopyTo(header);
            BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
            BinaryPrimitives.WriteInt64LittleEndian(header[12..], entries.Count);
            header.CopyTo(buffer);
            used = header.Length;
            foreach (var (key, entry) in entries)
            {
                var appLength = Encoding.UTF8.GetByteCount(key.App);
                var size = 1 + 17 + 17 + 2 + 4 + appLength + 52;
                if (buffer.Length - used < size)
                {
                    Flush();
                    if (buffer.Length < size)
                    {
                        buffer = new byte[size];
                    }
                }

                var span = buffer.AsSpan(used);
                var at = 0;
                span[at++] = key.IsPair ? (byte)1 : (byte)0;
                at += WriteAddress(span[at..], key.Source);
                at += WriteAddress(span[at..], key.Server);
                BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)key.Port);
                at += 2;
                BinaryPrimitives.WriteInt32LittleEndian(span[at..], appLength);
                at += 4;
                at += Encoding.UTF8.GetBytes(key.App, span[at..]);
                BinaryPrimitives.WriteInt64LittleEndian(span[at..], entry.First);
                BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], entry.Last);
                BinaryPrimitives.WriteInt64LittleEndian(span[(at + 16)..], entry.Count);
                BinaryPrimitives.WriteInt64LittleEndian(span[(at + 24)..], entry.LastDay);
                BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 32)..], entry.DayBits);
                BinaryPrimitives.WriteInt32LittleEndian(span[(at + 40)..], entry.DaysSeen);
                used += at + 44;
            }

            Flush();
            file.Write(hash.GetHashAndReset());

            // The content reaches the disk before the rename makes it the store: a crash then finds the old file or this one.
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static int WriteAddress(Span<byte> destination, IPAddressValue address)
    {
        var length = address.WriteBytes(destination[1..]);
        destination[0] = (byte)length;
        return 1 + length;
    }

    private void Load(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
        Span<byte> header = stackalloc byte[20];
        var headerRead = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (headerRead < Magic.Length || !header[..Magic.Length].SequenceEqual(Magic))
        {
            throw Fail(path, FirstSeenStoreError.NotAStore, "it is not a first-seen store (no PMFSTORE magic)");
        }

        if (headerRead < header.Length || file.Length < header.Length + HashLength)
        {
            throw Fail(path, FirstSeenStoreError.Corrupt, $"it ends after {file.Length} bytes, before its header and checksum");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != Version)
        {
            throw Fail(path, FirstSeenStoreError.UnsupportedVersion, $"its format version is {version}; this library reads version {Version}");
        }

        // The checksum first, over the whole file, so that no entry of a torn or altered file is believed.
        var contentLength = file.Length - HashLength;
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            hash.AppendData(header);
            var buffer = new byte[64 * 1024];
            var remaining = contentLength - header.Length;
            while (remaining > 0)
            {
                var read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                if (read == 0)
                {
                    throw Fail(path, FirstSeenStoreError.Corrupt, "it changed while it was read");
                }

                hash.AppendData(buffer, 0, read);
                remaining -= read;
            }

            Span<byte> stored = stackalloc byte[HashLength];
            file.ReadExactly(stored);
            if (!hash.GetHashAndReset().AsSpan().SequenceEqual(stored))
            {
                throw Fail(path, FirstSeenStoreError.Corrupt, "its SHA-256 checksum does not match its content (a torn or damaged file)");
            }
        }

        file.Position = header.Length;
        var count = BinaryPrimitives.ReadInt64LittleEndian(header[12..]);
        using var reader = new BinaryReader(file, Encoding.UTF8, leaveOpen: true);
        try
        {
            for (long i = 0; i < count; i++)
            {
                var isPair = reader.ReadByte() switch
                {
                    0 => false,
                    1 => true,
                    var flag => throw Fail(path, FirstSeenStoreError.Corrupt, $"entry {i} has the flag {flag}"),
                };
                var source = ReadAddress(reader, path, i);
                var server = ReadAddress(reader, path, i);
                var port = reader.ReadUInt16();
                var appLength = reader.ReadInt32();
                if ((uint)appLength > MaxAppBytes)
                {
                    throw Fail(path, FirstSeenStoreError.Corrupt, $"entry {i} has an app value of {appLength} bytes");
                }

                var app = Encoding.UTF8.GetString(reader.ReadBytes(appLength));
                var entry = new StoreEntry
                {
                    First = reader.ReadInt64(),
                    Last = reader.ReadInt64(),
                    Count = reader.ReadInt64(),
                    LastDay = reader.ReadInt64(),
                    DayBits = reader.ReadUInt64(),
                    DaysSeen = reader.ReadInt32(),
                };
                if (file.Position > contentLength || entry.DaysSeen < 1 || entry.First > entry.Last)
                {
                    throw Fail(path, FirstSeenStoreError.Corrupt, $"entry {i} is not well-formed");
                }

                _entries[new StoreKey(isPair, source, server, port, app)] = entry;
            }
        }
        catch (EndOfStreamException e)
        {
            throw Fail(path, FirstSeenStoreError.Corrupt, $"it ends inside its entries ({count} announced)", e);
        }

        if (file.Position != contentLength)
        {
            throw Fail(path, FirstSeenStoreError.Corrupt, $"it has {contentLength - file.Position} bytes after its {count} entries");
        }

        if (_entries.Count > Options.MaxEntries)
        {
            Evict(Options.MaxEntries);
            _dirty = true;
        }
    }

    private static IPAddressValue ReadAddress(BinaryReader reader, string path, long index)
    {
        var length = reader.ReadByte();
        if (length is not (0 or 4 or 16))
        {
            throw Fail(path, FirstSeenStoreError.Corrupt, $"entry {index} has an address of {length} bytes");
        }

        return length == 0 ? IPAddressValue.None : IPAddressValue.FromBytes(reader.ReadBytes(length));
    }

    private static FirstSeenStoreException Fail(string path, FirstSeenStoreError reason, string why, Exception? inner = null)
        => new(path, reason, $"The first-seen store '{path}' cannot be read: {why}.", inner);
}
