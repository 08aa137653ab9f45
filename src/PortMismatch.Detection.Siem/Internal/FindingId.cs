using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PortMismatch.Detection.Siem.Internal;

/// <summary>
/// The id of a finding: the same for every row of one key in one window, in any process on any machine, so that a re-run
/// or a merge of partial results updates a finding in the SIEM rather than adding a second one.
/// </summary>
/// <remarks>
/// An RFC 9562 version 8 UUID made as its appendix B.2 shows (name-based, SHA-256): the first 16 bytes of the SHA-256 of
/// the UTF-8 text <c>portmismatch-finding/1</c>, then one line each (joined by <c>\n</c>) for the rule id (empty without a
/// rule), src_ip, dest_ip (as the rows print them, <c>null</c> when absent), the app text, dest_port, and the window's start
/// and end in Unix microseconds (empty for one aggregate over all input), with the version and variant bits set. Anyone can
/// recompute it from a row's fields; the count, times, transports and the partial and late flags are not part of it.
/// </remarks>
internal static class FindingId
{
    /// <summary>Computes the id of the finding a row belongs to, as a lower-case UUID string.</summary>
    public static string Compute(MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var name = string.Join(
            '\n',
            "portmismatch-finding/1",
            row.Rule?.Id ?? string.Empty,
            Format(row.SourceAddress),
            Format(row.DestinationAddress),
            row.App,
            row.DestinationPort.ToString(CultureInfo.InvariantCulture),
            row.WindowStartMicroseconds?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
            row.WindowEndMicroseconds?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // variant 10
        return new Guid(hash[..16], bigEndian: true).ToString("D");
    }

    private static string Format(IPAddressValue address) => address.HasValue ? address.ToString() : "null";
}
