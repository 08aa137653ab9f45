using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PortMismatch.Detection.Internal;

/// <summary>Reads the kernel's per-socket drop counter (the last column of /proc/net/udp and /proc/net/udp6) on Linux.</summary>
internal static class SocketDrops
{
    public static long? Read(IPEndPoint local)
    {
        var file = local.AddressFamily == AddressFamily.InterNetworkV6 ? "/proc/net/udp6" : "/proc/net/udp";
        try
        {
            var port = local.Port.ToString("X4", CultureInfo.InvariantCulture);
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (columns.Length > 12 && columns[1].EndsWith(":" + port, StringComparison.Ordinal)
                    && long.TryParse(columns[^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var drops))
                {
                    return drops;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
