using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PortMismatch.Cli.Tests;

/// <summary>Helpers of the live tests: free ports, IPFIX messages of a file, rows combined per window and key, their counts summed.</summary>
internal static class LiveTestSupport
{
    public static List<string> Combine(IEnumerable<string> jsonLines)
    {
        var groups = new SortedDictionary<string, (long Count, long First, long Last)>(StringComparer.Ordinal);
        foreach (var line in jsonLines)
        {
            using var row = System.Text.Json.JsonDocument.Parse(line);
            var root = row.RootElement;
            var key = string.Join(' ', root.EnumerateObject()
                .Where(p => p.Name is not ("count" or "firstTime" or "lastTime" or "first_time_us" or "last_time_us" or "late" or "partial"))
                .Select(p => $"{p.Name}={p.Value.GetRawText()}"));
            var count = root.GetProperty("count").GetInt64();
            var first = root.GetProperty("first_time_us").GetInt64();
            var last = root.GetProperty("last_time_us").GetInt64();
            groups[key] = groups.TryGetValue(key, out var seen) ? (seen.Count + count, Math.Min(seen.First, first), Math.Max(seen.Last, last)) : (count, first, last);
        }

        return groups.Select(g => $"{g.Key} count={g.Value.Count} first={g.Value.First} last={g.Value.Last}").ToList();
    }

    public static long SumOfCounts(IEnumerable<string> jsonLines)
    {
        var sum = 0L;
        foreach (var line in jsonLines)
        {
            using var row = System.Text.Json.JsonDocument.Parse(line);
            sum += row.RootElement.GetProperty("count").GetInt64();
        }

        return sum;
    }

    public static Task WaitUntilListening(StringWriter stderr)
        => Poll.UntilAsync(() => stderr.ToString().Contains("listening on", StringComparison.Ordinal), () => $"no 'listening on' on standard error:\n{stderr}");

    public static List<byte[]> IpfixMessages(byte[] file)
    {
        var messages = new List<byte[]>();
        for (var offset = 0; offset + 4 <= file.Length;)
        {
            var version = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(offset));
            Assert.Equal(10, version);
            var length = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(offset + 2));
            messages.Add(file.AsSpan(offset, length).ToArray());
            offset += length;
        }

        return messages;
    }

    public static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
