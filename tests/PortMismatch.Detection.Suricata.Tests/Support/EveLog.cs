using System.Text;

namespace PortMismatch.Detection.Suricata.Tests.Support;

/// <summary>Generated eve.json text: flow and netflow events (ports, apps and protocol changes varied by a seed) between other events.</summary>
public static class EveLog
{
    private static readonly string[] Apps = ["http", "tls", "dns", "smtp", "ssh", "failed", "dcerpc", "http2", "ftp", "smb"];

    /// <summary>Lines of <paramref name="flows"/> flow or netflow events (every fifth with a dns event before it) and how many are records.</summary>
    public static string Generate(int flows, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        for (var i = 0; i < flows; i++)
        {
            if (i % 5 == 0)
            {
                text.Append(Eve.Dns).Append('\n');
            }

            var app = Apps[random.Next(Apps.Length)];
            var port = random.Next(4) switch { 0 => 80, 1 => 443, 2 => 53, _ => random.Next(1, 65536) };
            var src = $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}";
            var dest = random.Next(3) == 0 ? $"2001:db8::{random.Next(1, 0xffff):x}" : $"192.168.{random.Next(256)}.{random.Next(1, 255)}";
            var extra = random.Next(10) == 0 ? ",\"app_proto_orig\":\"smtp\"" : random.Next(10) == 0 ? ",\"app_proto_ts\":\"dcerpc\",\"app_proto_tc\":\"http\"" : string.Empty;
            text.Append(random.Next(4) == 0
                ? Eve.Netflow(src: src, srcPort: random.Next(1024, 65536), dest: dest, destPort: port, app: app, flowId: i, bytes: random.Next(100000), pkts: random.Next(1000))
                : Eve.Flow(src: src, srcPort: random.Next(1024, 65536), dest: dest, destPort: port, app: app, extra: extra, flowId: i, bytesToServer: random.Next(100000)))
                .Append('\n');
        }

        return text.ToString();
    }
}
