using System.Security.Cryptography;
using System.Text.Json;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>
/// Where a follower resumes: the file (path when written, device and inode), the offset just after the last complete line
/// handed on, the number of lines before it, and a SHA-256 of the file's first bytes (up to <see cref="PrefixCap"/>, and
/// not past the offset) so that a file found again, renamed or gzipped, is known to be the same one. Written to a
/// temporary file beside it and renamed over it, so a kill leaves the old bookmark or the new one, never half of one.
/// </summary>
internal sealed record FollowBookmark(string File, FileIdentity? Identity, long Offset, long Line, int PrefixLength, string PrefixSha256)
{
    /// <summary>How many of a file's first bytes identify it: Zeek's header (with its <c>#open</c> time) or JSON's first record.</summary>
    public const int PrefixCap = 64 * 1024;

    public static string Hash(ReadOnlySpan<byte> prefix) => Convert.ToHexString(SHA256.HashData(prefix));

    /// <summary>Reads a bookmark, or null when the file does not exist.</summary>
    /// <exception cref="IOException">The file cannot be read or is not a bookmark (the message names the file and the key).</exception>
    public static FollowBookmark? Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = System.IO.File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            var file = Required(root, "file").GetString() ?? throw Bad(path, "file", "a string");
            var offset = Required(root, "offset").GetInt64();
            var line = Required(root, "line").GetInt64();
            var prefixLength = Required(root, "prefixLength").GetInt32();
            var hash = Required(root, "prefixSha256").GetString() ?? throw Bad(path, "prefixSha256", "a string");
            FileIdentity? identity = root.TryGetProperty("device", out var device) && root.TryGetProperty("inode", out var inode)
                ? new FileIdentity(device.GetUInt64(), inode.GetUInt64())
                : null;
            if (offset < 0 || line < 0 || prefixLength < 0 || prefixLength > PrefixCap || prefixLength > offset || hash.Length != 64)
            {
                throw new IOException($"bookmark {path}: offset, line, prefixLength or prefixSha256 out of range.");
            }

            return new FollowBookmark(file, identity, offset, line, prefixLength, hash);

            JsonElement Required(JsonElement element, string key)
                => element.TryGetProperty(key, out var value) ? value : throw new IOException($"bookmark {path}: no \"{key}\".");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new IOException($"bookmark {path}: not a follow bookmark ({e.Message})", e);
        }

        static IOException Bad(string path, string key, string what) => new($"bookmark {path}: \"{key}\" must be {what}.");
    }

    /// <summary>Writes the bookmark atomically (temporary file, flushed to disk, renamed over the old one).</summary>
    public void Write(string path)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteString("file"u8, File);
                if (Identity is { } identity)
                {
                    json.WriteNumber("device"u8, identity.Device);
                    json.WriteNumber("inode"u8, identity.Inode);
                }

                json.WriteNumber("offset"u8, Offset);
                json.WriteNumber("line"u8, Line);
                json.WriteNumber("prefixLength"u8, PrefixLength);
                json.WriteString("prefixSha256"u8, PrefixSha256);
                json.WriteEndObject();
            }

            stream.Flush(flushToDisk: true);
        }

        System.IO.File.Move(temporary, path, overwrite: true);
    }
}
