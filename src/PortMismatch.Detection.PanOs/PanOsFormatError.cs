namespace PortMismatch.Detection.PanOs;

/// <summary>Why a PAN-OS input could not be read at all (see <see cref="PanOsFormatException"/>).</summary>
public enum PanOsFormatError
{
    /// <summary>
    /// The input starts with the gzip magic bytes but its gzip data is damaged: cut short (at a flush point, inside a
    /// block, a header or a trailer), a CRC-32 or length mismatch, corrupt compressed data, a bad header, or bytes after the
    /// last member. The exception's byte offset is in the compressed input (for corrupt deflate data: the start of the
    /// piece of up to 8 KiB in which it was found invalid; see the package README); the records decompressed before the
    /// damage have been read (<c>corrupt-compressed-input</c>).
    /// </summary>
    CorruptCompressedInput = 1,
}
