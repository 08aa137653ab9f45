using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static PortMismatch.Detection.Ipfix.Tests.Bytes;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>
/// Random templates (known fields in random order and widths, unknown, enterprise and variable-length fields between
/// them) and random records, written by the test's own encoder: the decoder must give back exactly what was written.
/// </summary>
public sealed class RoundTripProperties
{
    private const string Replay = "(20261126,20261127)";

    private sealed record Expected(string Source, string Destination, int SourcePort, int DestinationPort, Transport Transport, string? App, long Bytes);

    [Property(Replay = Replay, MaxTest = 400)]
    public Property Decoding_returns_what_was_encoded(int seed, bool v9)
    {
        var random = new Random(seed);
        var ipv6 = random.Next(2) == 0;
        var portWidth = random.Next(2) == 0 ? 2 : random.Next(1, 9); // reduced-size or widened encodings
        var byteWidth = new[] { 1, 2, 4, 8 }[random.Next(4)];
        var appAsVariable = !v9 && random.Next(2) == 0;

        // (field, writer) pairs in random order, with noise fields between them.
        var columns = new List<(Field Field, Func<Expected, byte[]> Write)>
        {
            (new Field(ipv6 ? (ushort)27 : (ushort)8, ipv6 ? (ushort)16 : (ushort)4), e => IPAddress.Parse(e.Source).GetAddressBytes()),
            (new Field(ipv6 ? (ushort)28 : (ushort)12, ipv6 ? (ushort)16 : (ushort)4), e => IPAddress.Parse(e.Destination).GetAddressBytes()),
            (new Field(7, (ushort)portWidth), e => Width(e.SourcePort, portWidth)),
            (new Field(11, (ushort)portWidth), e => Width(e.DestinationPort, portWidth)),
            (new Field(4, 1), e => U8(e.Transport == Transport.Tcp ? 6 : 17)),
            (new Field(1, (ushort)byteWidth), e => Width(e.Bytes, byteWidth)),
            (new Field(96, appAsVariable ? (ushort)65535 : (ushort)24), e => appAsVariable ? Var(Text(e.App ?? "")) : Text(e.App ?? "", 24)),
        };
        var noise = random.Next(0, 5);
        for (var i = 0; i < noise; i++)
        {
            var length = (ushort)random.Next(1, 12);
            var enterprise = !v9 && random.Next(2) == 0 ? (uint)random.Next(1, 60000) : 0u;
            var id = (ushort)(enterprise != 0 ? random.Next(1, 32767) : new[] { 5, 10, 14, 15, 16, 17, 61, 89, 210 }[random.Next(9)]);
            var variable = !v9 && random.Next(3) == 0;
            var bytes = new byte[length];
            random.NextBytes(bytes);
            columns.Add((new Field(id, variable ? (ushort)65535 : length, enterprise), _ => variable ? Var(bytes) : bytes));
        }

        columns = [.. columns.OrderBy(_ => random.Next())];
        var expected = new List<Expected>();
        var data = new List<byte>();
        for (var r = random.Next(1, 20); r > 0; r--)
        {
            var e = new Expected(
                ipv6 ? $"2001:db8::{random.Next(1, 65535):x}" : $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}",
                ipv6 ? $"2001:db8:1::{random.Next(1, 65535):x}" : $"192.0.2.{random.Next(1, 255)}",
                random.Next(0, 1 << Math.Min(16, 8 * portWidth)),
                random.Next(0, 1 << Math.Min(16, 8 * portWidth)),
                random.Next(2) == 0 ? Transport.Tcp : Transport.Udp,
                random.Next(4) == 0 ? null : new[] { "dns", "http", "ssl", "smtp", "web-browsing", "x" }[random.Next(6)],
                random.NextInt64(0, byteWidth == 8 ? long.MaxValue : 1L << (8 * byteWidth)));
            expected.Add(e);
            foreach (var c in columns)
            {
                data.AddRange(c.Write(e));
            }
        }

        var fields = columns.Select(c => c.Field).ToArray();
        var message = v9
            ? new V9Builder().Template(300, fields).Data(300, [.. data]).Build()
            : new IpfixBuilder().Template(300, fields).Data(300, [.. data]).Build();
        var decoder = new IpfixDecoder(IpfixReaderOptions.Default with { IncludeReplies = true });
        var sink = new CollectingSink();
        decoder.Decode(message, IPAddressValue.None, sink);

        var actual = sink.Records.Select(r => new Expected(r.Source, r.Destination, r.SourcePort!.Value, r.DestinationPort!.Value, r.Transport, r.App, r.Bytes!.Value)).ToList();
        var expectedNormalised = expected.Select(e => e with { Source = IPAddress.Parse(e.Source).ToString(), Destination = IPAddress.Parse(e.Destination).ToString() }).ToList();
        return (decoder.Counters.IsBalanced && actual.SequenceEqual(expectedNormalised))
            .Label($"seed {seed}, v9 {v9}: {decoder.Counters}; first expected {expectedNormalised.FirstOrDefault()}, first actual {actual.FirstOrDefault()}");
    }

    private static byte[] Width(long value, int width)
    {
        var bytes = new byte[width];
        for (var i = width - 1; i >= 0 && value != 0; i--)
        {
            bytes[i] = (byte)value;
            value >>= 8;
        }

        return bytes;
    }
}
