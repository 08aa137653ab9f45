using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection.Tests.Records;

/// <summary>
/// The scalar reference of the address parsers: the plain loop the core used for dotted quads, and
/// <see cref="AddressText.TryParseIPv6"/> (the general IPv6 parser, which every fast path falls back to).
/// </summary>
internal static class AddressReference
{
    public static bool TryParse(ReadOnlySpan<byte> text, out IPAddressValue address)
    {
        if (TryParseIPv4(text, out var v4))
        {
            address = IPAddressValue.FromIPv4(v4);
            return true;
        }

        if (AddressText.TryParseIPv6(text, out var high, out var low))
        {
            address = IPAddressValue.FromIPv6(high, low);
            return true;
        }

        address = IPAddressValue.None;
        return false;
    }

    /// <summary>The loop the core parsed dotted quads with before the unrolled parser replaced it.</summary>
    public static bool TryParseIPv4(ReadOnlySpan<byte> text, out uint address)
    {
        address = 0;
        if (text.Length is < 7 or > 15)
        {
            return false;
        }

        var i = 0;
        for (var part = 0; part < 4; part++)
        {
            if (part > 0)
            {
                if ((uint)i >= (uint)text.Length || text[i] != (byte)'.')
                {
                    return false;
                }

                i++;
            }

            var start = i;
            uint value = 0;
            while ((uint)i < (uint)text.Length && (uint)(text[i] - '0') <= 9 && i - start < 3)
            {
                value = (value * 10) + (uint)(text[i] - '0');
                i++;
            }

            var digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && text[start] == (byte)'0'))
            {
                return false;
            }

            address = (address << 8) | value;
        }

        return i == text.Length;
    }
}
