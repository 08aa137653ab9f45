namespace PortMismatch.Detection;

/// <summary>Orders rows by window start, src_ip, dest_ip, app (ordinal), dest_port: the order the console host prints.</summary>
public sealed class MismatchRowComparer : IComparer<MismatchRow>
{
    private MismatchRowComparer()
    {
    }

    /// <summary>Gets the comparer.</summary>
    public static MismatchRowComparer Instance { get; } = new();

    /// <inheritdoc/>
    public int Compare(MismatchRow? x, MismatchRow? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var c = Nullable.Compare(x.WindowStartMicroseconds, y.WindowStartMicroseconds);
        if (c == 0)
        {
            c = x.SourceAddress.CompareTo(y.SourceAddress);
        }

        if (c == 0)
        {
            c = x.DestinationAddress.CompareTo(y.DestinationAddress);
        }

        if (c == 0)
        {
            c = string.CompareOrdinal(x.App, y.App);
        }

        return c != 0 ? c : x.DestinationPort.CompareTo(y.DestinationPort);
    }
}
