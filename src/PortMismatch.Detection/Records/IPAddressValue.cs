using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// An IPv4 or IPv6 address held inline (no heap object), or <see cref="None"/> when a record has no address.
/// Parsing and formatting work on UTF-8 and UTF-16 spans; formatting follows RFC 5952 for IPv6.
/// </summary>
/// <remarks>
/// IPv4 and IPv4-mapped IPv6 (<c>::ffff:192.0.2.1</c>) are different values, as they are different strings
/// in the logs this library reads. Ordering is: <see cref="None"/>, then every IPv4 address, then every IPv6 address,
/// each family in numeric order.
/// </remarks>
public readonly struct IPAddressValue : IEquatable<IPAddressValue>, IComparable<IPAddressValue>, ISpanFormattable, IUtf8SpanFormattable
{
    /// <summary>The longest text <see cref="TryFormat(Span{char}, out int)"/> writes (39 characters).</summary>
    public const int MaxFormattedLength = 39;

    private const byte KindNone = 0;
    private const byte KindV4 = 1;
    private const byte KindV6 = 2;

    // Network byte order: _high holds bytes 0-7 of an IPv6 address, _low bytes 8-15 (an IPv4 address is the low 32 bits of _low).
    private readonly ulong _high;
    private readonly ulong _low;
    private readonly byte _kind;

    private IPAddressValue(ulong high, ulong low, byte kind)
    {
        _high = high;
        _low = low;
        _kind = kind;
    }

    internal static IPAddressValue FromParts(ulong high, ulong low, byte kind) => new(high, low, kind);

    /// <summary>The absent address. Output rows print it as <c>null</c>, as the Splunk search does.</summary>
    public static IPAddressValue None => default;

    internal ulong High => _high;

    internal ulong Low => _low;

    internal byte Kind => _kind;

    /// <summary>Gets whether this value holds an address (IPv4 or IPv6).</summary>
    public bool HasValue => _kind != KindNone;

    /// <summary>Gets whether this value is an IPv4 address.</summary>
    public bool IsIPv4 => _kind == KindV4;

    /// <summary>Gets whether this value is an IPv6 address.</summary>
    public bool IsIPv6 => _kind == KindV6;

    /// <summary>Creates an IPv4 address from its 32-bit value, most significant octet first (<c>0x0A000001</c> is <c>10.0.0.1</c>).</summary>
    /// <param name="address">The address as a number.</param>
    /// <returns>The address.</returns>
    public static IPAddressValue FromIPv4(uint address) => new(0, address, KindV4);

    /// <summary>Makes an IPv6 address from its two halves in network order (bytes 0-7, bytes 8-15).</summary>
    internal static IPAddressValue FromIPv6(ulong high, ulong low) => new(high, low, KindV6);

    [DoesNotReturn]
    private static void ThrowFieldOutOfRange() => throw new ArgumentOutOfRangeException("start", "The field is not inside the line.");

    /// <summary>Creates an address from its bytes in network order: 4 bytes for IPv4, 16 for IPv6.</summary>
    /// <param name="bytes">The address bytes.</param>
    /// <returns>The address.</returns>
    /// <exception cref="ArgumentException">The span is neither 4 nor 16 bytes long.</exception>
    public static IPAddressValue FromBytes(ReadOnlySpan<byte> bytes) => bytes.Length switch
    {
        4 => new(0, BinaryPrimitives.ReadUInt32BigEndian(bytes), KindV4),
        16 => new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), KindV6),
        _ => throw new ArgumentException("An address is 4 (IPv4) or 16 (IPv6) bytes long.", nameof(bytes)),
    };

    /// <summary>Converts a <see cref="IPAddress"/>; a scope id, if any, is not kept.</summary>
    /// <param name="address">The address, or <see langword="null"/> for <see cref="None"/>.</param>
    /// <returns>The address.</returns>
    /// <exception cref="ArgumentException">The address is neither IPv4 nor IPv6.</exception>
    public static IPAddressValue FromIPAddress(IPAddress? address)
    {
        if (address is null)
        {
            return None;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            || !address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException("Only IPv4 and IPv6 addresses are supported.", nameof(address));
        }

        return FromBytes(bytes[..written]);
    }

    /// <summary>Converts to a <see cref="IPAddress"/> (allocates; for the edges of an application).</summary>
    /// <returns>The address, or <see langword="null"/> for <see cref="None"/>.</returns>
    public IPAddress? ToIPAddress()
    {
        if (!HasValue)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[16];
        return new IPAddress(bytes[..WriteBytes(bytes)]);
    }

    /// <summary>Writes the address bytes in network order.</summary>
    /// <param name="destination">At least 16 bytes for IPv6, 4 for IPv4.</param>
    /// <returns>The number of bytes written: 0, 4 or 16.</returns>
    public int WriteBytes(Span<byte> destination)
    {
        switch (_kind)
        {
            case KindV4:
                BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
                return 4;
            case KindV6:
                BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
                BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
                return 16;
            default:
                return 0;
        }
    }

    /// <summary>
    /// Parses an IPv4 dotted quad (four decimal octets, no leading zeros) or an IPv6 address in any RFC 4291 text form
    /// (<c>::</c> compression, embedded IPv4). Zone ids, brackets, ports and surrounding spaces are not accepted.
    /// </summary>
    /// <param name="utf8Text">The text as UTF-8.</param>
    /// <param name="address">The address, or <see cref="None"/> when the text is not one.</param>
    /// <returns>Whether the text is an address.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8Text, out IPAddressValue address)
    {
        if (utf8Text.Length is >= 7 and <= 15 && AddressText.TryParseIPv4(utf8Text, out var v4))
        {
            address = FromIPv4(v4);
            return true;
        }

        if (AddressText.TryParseIPv6(utf8Text, out var high, out var low))
        {
            address = new IPAddressValue(high, low, KindV6);
            return true;
        }

        address = None;
        return false;
    }

    /// <summary>
    /// Parses the address in <c>utf8[start..(start + length)]</c>, a field of a longer line, as
    /// <see cref="TryParse(ReadOnlySpan{byte}, out IPAddressValue)"/> parses it alone (the same forms, the same values). The
    /// bytes of <paramref name="utf8"/> after the field may be read, never changed: with 16 of them from
    /// <paramref name="start"/> a dotted quad is read in one vector step (SSSE3), with 36 colon-hex IPv6 (256-bit vectors),
    /// so pass the whole line rather than the field.
    /// </summary>
    /// <param name="utf8">The line, as UTF-8.</param>
    /// <param name="start">Where the field starts.</param>
    /// <param name="length">The field's length.</param>
    /// <param name="address">The address, or <see cref="None"/> when the field is not one.</param>
    /// <returns>Whether the field is an address.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The field is not inside <paramref name="utf8"/>.</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool TryParse(ReadOnlySpan<byte> utf8, int start, int length, out IPAddressValue address)
    {
        if ((uint)start > (uint)utf8.Length || (uint)length > (uint)(utf8.Length - start))
        {
            ThrowFieldOutOfRange();
        }

        return AddressBlocks.TryParse(utf8, start, start + length, out address);
    }

    /// <summary>Parses an address; see <see cref="TryParse(ReadOnlySpan{byte}, out IPAddressValue)"/> for the accepted forms.</summary>
    /// <param name="text">The text.</param>
    /// <param name="address">The address, or <see cref="None"/> when the text is not one.</param>
    /// <returns>Whether the text is an address.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out IPAddressValue address)
    {
        address = None;
        if (text.Length > AddressText.MaxParsableLength)
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[AddressText.MaxParsableLength];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > 0x7F)
            {
                return false;
            }

            utf8[i] = (byte)text[i];
        }

        return TryParse(utf8[..text.Length], out address);
    }

    /// <summary>Parses an address.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The address.</returns>
    /// <exception cref="FormatException">The text is not an IPv4 or IPv6 address.</exception>
    public static IPAddressValue Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text.AsSpan(), out var address)
            ? address
            : throw new FormatException($"'{TextEscaper.Escape(text)}' is not an IPv4 or IPv6 address.");
    }

    /// <summary>Writes the canonical text: dotted quad for IPv4, RFC 5952 for IPv6, nothing for <see cref="None"/>.</summary>
    /// <param name="utf8Destination">The destination.</param>
    /// <param name="bytesWritten">The number of bytes written.</param>
    /// <returns>Whether the destination was large enough.</returns>
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten)
    {
        Span<byte> buffer = stackalloc byte[MaxFormattedLength];
        var length = _kind switch
        {
            KindV4 => AddressText.FormatIPv4((uint)_low, buffer),
            KindV6 => AddressText.FormatIPv6(_high, _low, buffer),
            _ => 0,
        };
        if (!buffer[..length].TryCopyTo(utf8Destination))
        {
            bytesWritten = 0;
            return false;
        }

        bytesWritten = length;
        return true;
    }

    /// <summary>Writes the canonical text: dotted quad for IPv4, RFC 5952 for IPv6, nothing for <see cref="None"/>.</summary>
    /// <param name="destination">The destination.</param>
    /// <param name="charsWritten">The number of characters written.</param>
    /// <returns>Whether the destination was large enough.</returns>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        Span<byte> buffer = stackalloc byte[MaxFormattedLength];
        _ = TryFormat(buffer, out var length);
        if (length > destination.Length)
        {
            charsWritten = 0;
            return false;
        }

        for (var i = 0; i < length; i++)
        {
            destination[i] = (char)buffer[i];
        }

        charsWritten = length;
        return true;
    }

    /// <summary>Returns the canonical text: dotted quad for IPv4, RFC 5952 for IPv6, the empty string for <see cref="None"/>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        Span<char> chars = stackalloc char[MaxFormattedLength];
        _ = TryFormat(chars, out var length);
        return new string(chars[..length]);
    }

    /// <inheritdoc/>
    string IFormattable.ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc/>
    bool ISpanFormattable.TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        => TryFormat(destination, out charsWritten);

    /// <inheritdoc/>
    bool IUtf8SpanFormattable.TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        => TryFormat(utf8Destination, out bytesWritten);

    /// <summary>Gets whether this address lies in the network <paramref name="network"/>/<paramref name="prefixLength"/> of the same family.</summary>
    /// <param name="network">The network address.</param>
    /// <param name="prefixLength">The prefix length: 0-32 for IPv4, 0-128 for IPv6.</param>
    /// <returns>Whether the address is in the network; always false across families or for <see cref="None"/>.</returns>
    public bool IsInNetwork(IPAddressValue network, int prefixLength)
    {
        if (_kind != network._kind || _kind == KindNone)
        {
            return false;
        }

        if (_kind == KindV4)
        {
            var mask = prefixLength <= 0 ? 0u : uint.MaxValue << (32 - Math.Min(prefixLength, 32));
            return ((uint)_low & mask) == ((uint)network._low & mask);
        }

        var highMask = prefixLength <= 0 ? 0UL : prefixLength >= 64 ? ulong.MaxValue : ulong.MaxValue << (64 - prefixLength);
        var lowMask = prefixLength <= 64 ? 0UL : prefixLength >= 128 ? ulong.MaxValue : ulong.MaxValue << (128 - prefixLength);
        return ((_high ^ network._high) & highMask) == 0 && ((_low ^ network._low) & lowMask) == 0;
    }

    /// <inheritdoc/>
    public bool Equals(IPAddressValue other) => _low == other._low && _high == other._high && _kind == other._kind;

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is IPAddressValue other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_high, _low, _kind);

    /// <inheritdoc/>
    public int CompareTo(IPAddressValue other)
    {
        var c = _kind.CompareTo(other._kind);
        if (c != 0)
        {
            return c;
        }

        c = _high.CompareTo(other._high);
        return c != 0 ? c : _low.CompareTo(other._low);
    }

    /// <summary>Equality.</summary>
    /// <param name="left">The first address.</param>
    /// <param name="right">The second address.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(IPAddressValue left, IPAddressValue right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">The first address.</param>
    /// <param name="right">The second address.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(IPAddressValue left, IPAddressValue right) => !left.Equals(right);

    /// <summary>Ordering (see the type's remarks).</summary>
    /// <param name="left">The first address.</param>
    /// <param name="right">The second address.</param>
    /// <returns>Whether <paramref name="left"/> sorts first.</returns>
    public static bool operator <(IPAddressValue left, IPAddressValue right) => left.CompareTo(right) < 0;

    /// <summary>Ordering (see the type's remarks).</summary>
    /// <param name="left">The first address.</param>
    /// <param name="right">The second address.</param>
    /// <returns>Whether <paramref name="left"/> sorts last.</returns>
    public static bool operator >(IPAddressValue left, IPAddressValue right) => left.CompareTo(right) > 0;

    /// <summary>Ordering (see the type's remarks).</summary>
    /// <param name="left">The first address.</param>
    /// <param name="right">The second address.</param>
    /// <returns>Whether <paramref name="left"/> does not sort last.</returns>
    public static bool operator <=(IPAddressValue left, IPAddressValue right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering (see the type's remarks).</summary>
    /// <param name="left">The first address.</param>
    /// <param name="right">The second address.</param>
    /// <returns>Whether <paramref name="left"/> does not sort first.</returns>
    public static bool operator >=(IPAddressValue left, IPAddressValue right) => left.CompareTo(right) >= 0;
}
