using System.Globalization;

namespace PortMismatch.Detection;

/// <summary>An inclusive range of ports, <c>First</c> to <c>Last</c>; a single port is a range of one.</summary>
public readonly record struct PortRange
{
    /// <summary>Creates a range.</summary>
    /// <param name="first">The first port (0-65535).</param>
    /// <param name="last">The last port (<paramref name="first"/>-65535).</param>
    /// <exception cref="ArgumentOutOfRangeException">A port is outside 0-65535 or <paramref name="last"/> is below <paramref name="first"/>.</exception>
    public PortRange(int first, int last)
    {
        if ((uint)first > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(first), first, "A port is a number from 0 to 65535.");
        }

        if ((uint)last > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(last), last, "A port is a number from 0 to 65535.");
        }

        if (last < first)
        {
            throw new ArgumentOutOfRangeException(nameof(last), last, $"The range ends before it starts ({first}-{last}).");
        }

        First = (ushort)first;
        Last = (ushort)last;
    }

    /// <summary>Creates a range of one port.</summary>
    /// <param name="port">The port (0-65535).</param>
    /// <exception cref="ArgumentOutOfRangeException">The port is outside 0-65535.</exception>
    public PortRange(int port)
        : this(port, port)
    {
    }

    /// <summary>Gets the first port.</summary>
    public ushort First { get; }

    /// <summary>Gets the last port.</summary>
    public ushort Last { get; }

    /// <summary>Gets whether the range holds <paramref name="port"/>.</summary>
    /// <param name="port">The port.</param>
    /// <returns>Whether it is in the range.</returns>
    public bool Contains(int port) => port >= First && port <= Last;

    /// <summary>Returns <c>443</c> or <c>8000-8080</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => First == Last
        ? First.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}
