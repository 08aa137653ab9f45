namespace PortMismatch.Detection.PanOs;

/// <summary>Why a PAN-OS input could not be read at all (see <see cref="PanOsFormatException"/>).</summary>
public enum PanOsFormatError
{
    /// <summary>The input starts with the gzip magic bytes but is not a valid gzip stream (<c>corrupt-compressed-input</c>).</summary>
    CorruptCompressedInput = 1,
}
