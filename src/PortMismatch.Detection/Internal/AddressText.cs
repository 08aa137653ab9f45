using System.Runtime.CompilerServices;

namespace PortMismatch.Detection.Internal;

/// <summary>IPv4 / IPv6 text parsing and RFC 5952 formatting over ASCII bytes.</summary>
internal static class AddressText
{
    /// <summary>Longest accepted text: a full IPv6 address with an embedded dotted quad.</summary>
    public const int MaxParsableLength = 45;

    /// <summary>Four decimal octets of 1-3 digits, at most 255, without leading zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseIPv4(ReadOnlySpan<byte> text, out uint address)
    {
        // One octet per turn, its digits unrolled: a few instructions per character.
        address = 0;
        var value = 0u;
        var i = 0;
        for (var octet = 0; octet < 4; octet++)
        {
            if (octet > 0)
            {
                if ((uint)i >= (uint)text.Length || text[i] != (byte)'.')
                {
                    return false;
                }

                i++;
            }

            if ((uint)i >= (uint)text.Length)
            {
                return false;
            }

            var part = (uint)(text[i] - '0');
            if (part > 9)
            {
                return false;
            }

            i++;
            if ((uint)i < (uint)text.Length && (uint)(text[i] - '0') is var second and <= 9)
            {
                if (part == 0)
                {
                    return false; // a leading zero
                }

                part = (part * 10) + second;
                i++;
                if ((uint)i < (uint)text.Length && (uint)(text[i] - '0') is var third and <= 9)
                {
                    part = (part * 10) + third;
                    i++;
                    if (part > 255)
                    {
                        return false;
                    }
                }
            }

            value = (value << 8) | part;
        }

        address = value;
        return i == text.Length;
    }

    public static bool TryParseIPv6(ReadOnlySpan<byte> text, out ulong high, out ulong low)
    {
        // The groups are shifted into a 128-bit accumulator (hi:lo) as they come: those before "::" are kept aside in
        // headHi:headLo and moved up over the gap at the end, so no array of groups is filled and rearranged.
        high = 0;
        low = 0;
        if (text.Length is < 2 or > MaxParsableLength)
        {
            return false;
        }

        ulong hi = 0, lo = 0, headHi = 0, headLo = 0;
        var total = 0; // groups so far, before and after the gap
        var head = -1; // groups before "::", -1 without one
        var i = 0;
        if (text[0] == (byte)':')
        {
            if (text[1] != (byte)':')
            {
                return false;
            }

            head = 0;
            i = 2;
        }

        var digitValues = HexDigitValues;
        while (i < text.Length)
        {
            var start = i;
            var value = 0u;
            while ((uint)i < (uint)text.Length && i - start < 5 && digitValues[text[i]] is var h && h != 0xFF)
            {
                value = (value << 4) | h;
                i++;
            }

            int groups;
            if ((uint)i < (uint)text.Length && text[i] == (byte)'.')
            {
                // Embedded IPv4 takes the last two groups and must end the text.
                if (total > 6 || !TryParseIPv4(text[start..], out var v4))
                {
                    return false;
                }

                value = v4;
                groups = 2;
                i = text.Length;
            }
            else
            {
                var digits = i - start;
                if (digits is 0 or > 4 || total == 8)
                {
                    return false;
                }

                groups = 1;
            }

            var bits = 16 * groups;
            hi = (hi << bits) | (lo >> (64 - bits));
            lo = (lo << bits) | value;
            total += groups;
            if (i == text.Length)
            {
                break;
            }

            if (text[i] != (byte)':')
            {
                return false;
            }

            i++;
            if (i < text.Length && text[i] == (byte)':')
            {
                if (head >= 0)
                {
                    return false;
                }

                head = total;
                headHi = hi;
                headLo = lo;
                hi = 0;
                lo = 0;
                i++;
            }
            else if (i == text.Length)
            {
                return false;
            }
        }

        if (head < 0)
        {
            if (total != 8)
            {
                return false;
            }
        }
        else
        {
            if (total > 7)
            {
                return false;
            }

            // The head's groups go to the top: a shift of 16 * (8 - head) bits, 16 to 128 (none to move when head is 0).
            var shift = 16 * (8 - head);
            if (head > 0)
            {
                if (shift >= 64)
                {
                    hi |= headLo << (shift - 64);
                }
                else
                {
                    hi |= (headHi << shift) | (headLo >> (64 - shift));
                    lo |= headLo << shift;
                }
            }
        }

        high = hi;
        low = lo;
        return true;
    }

    public static int FormatIPv4(uint address, Span<byte> destination)
    {
        var n = 0;
        for (var shift = 24; shift >= 0; shift -= 8)
        {
            if (shift != 24)
            {
                destination[n++] = (byte)'.';
            }

            n += WriteDecimal((byte)(address >> shift), destination[n..]);
        }

        return n;
    }

    public static int FormatIPv6(ulong high, ulong low, Span<byte> destination)
    {
        Span<ushort> groups = stackalloc ushort[8];
        for (var g = 0; g < 4; g++)
        {
            groups[g] = (ushort)(high >> (48 - (16 * g)));
            groups[g + 4] = (ushort)(low >> (48 - (16 * g)));
        }

        // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad.
        var mapped = high == 0 && (low >> 32) == 0xFFFF;
        var hexGroups = mapped ? 6 : 8;

        // Section 4.2: compress the longest run (two groups or more) of zero groups, the first one on a tie.
        int bestStart = -1, bestLength = 1;
        for (var g = 0; g < hexGroups;)
        {
            if (groups[g] != 0)
            {
                g++;
                continue;
            }

            var start = g;
            while (g < hexGroups && groups[g] == 0)
            {
                g++;
            }

            if (g - start > bestLength)
            {
                bestStart = start;
                bestLength = g - start;
            }
        }

        var n = 0;
        for (var g = 0; g < hexGroups; g++)
        {
            if (g == bestStart)
            {
                destination[n++] = (byte)':';
                destination[n++] = (byte)':';
                g += bestLength - 1;
                continue;
            }

            if (g > 0 && destination[n - 1] != (byte)':')
            {
                destination[n++] = (byte)':';
            }

            n += WriteHex(groups[g], destination[n..]);
        }

        if (mapped)
        {
            if (destination[n - 1] != (byte)':')
            {
                destination[n++] = (byte)':';
            }

            n += FormatIPv4((uint)low, destination[n..]);
        }

        return n;
    }

    // The value of each byte as a hexadecimal digit, 0xFF for none: one load instead of three range tests.
    private static ReadOnlySpan<byte> HexDigitValues =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ];

    private static int WriteDecimal(byte value, Span<byte> destination)
    {
        if (value >= 100)
        {
            destination[0] = (byte)('0' + (value / 100));
            destination[1] = (byte)('0' + (value / 10 % 10));
            destination[2] = (byte)('0' + (value % 10));
            return 3;
        }

        if (value >= 10)
        {
            destination[0] = (byte)('0' + (value / 10));
            destination[1] = (byte)('0' + (value % 10));
            return 2;
        }

        destination[0] = (byte)('0' + value);
        return 1;
    }

    private static int WriteHex(ushort value, Span<byte> destination)
    {
        var n = 0;
        for (var shift = 12; shift >= 0; shift -= 4)
        {
            var nibble = (value >> shift) & 0xF;
            if (n == 0 && nibble == 0 && shift != 0)
            {
                continue;
            }

            destination[n++] = (byte)"0123456789abcdef"[nibble];
        }

        return n;
    }
}
