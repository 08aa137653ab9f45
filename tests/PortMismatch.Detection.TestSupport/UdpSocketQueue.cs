using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PortMismatch.Detection.TestSupport;

/// <summary>
/// What Linux says about a bound UDP socket (<c>/proc/net/udp</c>, <c>/proc/net/udp6</c>): the octets in its receive queue
/// and the datagrams it dropped; and the datagrams dropped before any socket, in the per-CPU backlog
/// (<c>/proc/net/softnet_stat</c>). Linux only.
/// </summary>
public static class UdpSocketQueue
{
    /// <summary>One reading: octets queued (as the kernel charges them) and datagrams dropped by the socket.</summary>
    /// <param name="QueuedBytes">The socket's rx_queue.</param>
    /// <param name="Drops">The socket's drops.</param>
    public readonly record struct State(long QueuedBytes, long Drops);

    /// <summary>Reads the socket bound to <paramref name="local"/>, or fails the test if it is not listed.</summary>
    /// <param name="local">The socket's bound address and port.</param>
    /// <returns>Its queue and drops.</returns>
    public static State Read(IPEndPoint local)
    {
        var file = local.AddressFamily == AddressFamily.InterNetworkV6 ? "/proc/net/udp6" : "/proc/net/udp";
        var port = ":" + local.Port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var line in File.ReadLines(file).Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length > 12 && columns[1].EndsWith(port, StringComparison.Ordinal))
            {
                var queues = columns[4].Split(':');
                return new State(long.Parse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture), long.Parse(columns[^1], CultureInfo.InvariantCulture));
            }
        }

        Assert.Fail($"no socket bound to {local} in {file}");
        return default;
    }

    /// <summary>
    /// Polls (every 5 ms, at most 400 times) until three readings in a row are equal, so that every datagram sent has
    /// reached the socket's queue or been dropped; fails the test if it never settles.
    /// </summary>
    /// <param name="local">The socket's bound address and port.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>The settled reading.</returns>
    public static async Task<State> WaitUntilSettledAsync(IPEndPoint local, CancellationToken cancellationToken)
    {
        const int MaxPolls = 400;
        var last = Read(local);
        var same = 1;
        for (var poll = 0; poll < MaxPolls && same < 3; poll++)
        {
            await Task.Delay(5, cancellationToken);
            var next = Read(local);
            same = next == last ? same + 1 : 1;
            last = next;
        }

        Assert.True(same >= 3, $"the socket on {local} did not settle within {MaxPolls} polls: last {last}");
        return last;
    }

    /// <summary>
    /// Gets the datagrams all CPUs dropped in their backlog so far (second column of <c>/proc/net/softnet_stat</c>): on
    /// loopback a datagram dropped there never reaches a socket, so no socket counts it. System-wide.
    /// </summary>
    /// <returns>The sum over the CPUs.</returns>
    public static long BacklogDrops()
    {
        long drops = 0;
        foreach (var line in File.ReadLines("/proc/net/softnet_stat"))
        {
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            drops += long.Parse(columns[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        return drops;
    }
}
