using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>Generates a random mix of everything the reader must handle, from a seed.</summary>
public static class InputMix
{
    public static byte[] Generate(int seed, int lines, int maxLineLength)
    {
        var random = new Random(seed);
        var output = new MemoryStream();
        string[] apps = ["dns", "ssl", "web-browsing", "smtp", "incomplete", "dns-base", "odd,\"app\"", ""];
        string[] ports = ["53", "443", "80", "8080", "25", "4444", "", "65536", "x"];
        int[] counts = [30, 46, 65, 75, 105, 115, 120];
        for (var i = 0; i < lines; i++)
        {
            var line = new TrafficLine(counts[random.Next(counts.Length)])
                .With(app: apps[random.Next(apps.Length)], destPort: ports[random.Next(ports.Length)]);
            if (random.Next(10) == 0)
            {
                line.Set(6, "2021-05-26T16:26:47.123456789Z");
            }

            var csv = random.Next(12) switch
            {
                0 => line.With(type: "THREAT").ToString(),
                1 => line.Set(7, "999.1.1.1").ToString(),
                2 => line.SetVerbatim(12, "\"open").ToString(),
                3 => line.Set(11, new string('r', maxLineLength)).ToString(),
                4 => "garbage",
                _ => line.ToString(),
            };

            var message = random.Next(5) switch
            {
                0 => csv,
                1 => "Nov 30 16:09:08 PA-220 " + csv,
                2 => "<14>Nov  3 16:09:08 " + csv,
                3 => "<14>1 2018-11-30T16:09:08Z fw - - - [m x=\"a] b\"] " + csv,
                _ => "<14>1 - fw2 - - - - " + csv,
            };

            var bytes = Encoding.UTF8.GetBytes(message);
            if (random.Next(4) == 0)
            {
                output.Write(Encoding.ASCII.GetBytes(bytes.Length.ToString(CultureInfo.InvariantCulture) + " "));
                output.Write(bytes);
                if (random.Next(2) == 0)
                {
                    output.Write("\n"u8);
                }
            }
            else
            {
                output.Write(bytes);
                output.Write(random.Next(3) == 0 ? "\r\n"u8 : "\n"u8);
                if (random.Next(20) == 0)
                {
                    output.Write("\n"u8);
                }
            }
        }

        // Sometimes end without a line end.
        var result = output.ToArray();
        return random.Next(2) == 0 && result.Length > 0 && result[^1] == (byte)'\n' ? result[..^1] : result;
    }
}
