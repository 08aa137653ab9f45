using System.Globalization;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>An IPv4 or IPv6 network in CIDR notation (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>), held inline.</summary>
public readonly record struct IPNetworkValue
{
    /// <summary>Creates a network; host bits of <paramref name="address"/> are ignored when matching.</summary>
    /// <param name="address">The network address.</param>
    /// <param name="prefixLength">0-32 for IPv4, 0-128 for IPv6.</param>
    /// <exception cref="ArgumentException">The address is absent or the prefix length does not fit its family.</exception>
    public IPNetworkValue(IPAddressValue address, int prefixLength)
    {
        if (!address.HasValue)
        {
            throw new ArgumentException("A network needs an address.", nameof(address));
        }

        if (prefixLength < 0 || prefixLength > (address.IsIPv4 ? 32 : 128))
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, $"A prefix length is 0-{(address.IsIPv4 ? 32 : 128)} for this address family.");
        }

        Address = address;
        PrefixLength = prefixLength;
    }

    /// <summary>Gets the network address as given.</summary>
    public IPAddressValue Address { get; }

    /// <summary>Gets the prefix length.</summary>
    public int PrefixLength { get; }

    /// <summary>Parses <c>address/prefix</c>; a bare address is a network of one address.</summary>
    /// <param name="text">The text.</param>
    /// <param name="network">The network.</param>
    /// <returns>Whether the text is a network.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out IPNetworkValue network)
    {
        network = default;
        var slash = text.IndexOf('/');
        if (!IPAddressValue.TryParse(slash < 0 ? text : text[..slash], out var address))
        {
            return false;
        }

        var max = address.IsIPv4 ? 32 : 128;
        var prefix = max;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max))
        {
            return false;
        }

        network = new IPNetworkValue(address, prefix);
        return true;
    }

    /// <summary>Parses <c>address/prefix</c>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The network.</returns>
    /// <exception cref="FormatException">The text is not a network.</exception>
    public static IPNetworkValue Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var network) ? network : throw new FormatException($"'{TextEscaper.Escape(text)}' is not a network such as 10.0.0.0/8 or 2001:db8::/32.");
    }

    /// <summary>Gets whether the network holds <paramref name="address"/> (never across address families).</summary>
    /// <param name="address">The address.</param>
    /// <returns>Whether it is in the network.</returns>
    public bool Contains(IPAddressValue address) => address.IsInNetwork(Address, PrefixLength);

    /// <summary>Returns <c>address/prefix</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Address}/{PrefixLength}");
}
