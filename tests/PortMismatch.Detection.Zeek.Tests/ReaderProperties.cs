using System.Globalization;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

/// <summary>Fixed-seed properties; FsCheck prints the seed and the shrunk case on failure.</summary>
public sealed class ReaderProperties
{
    private const string Replay = "(20261126,20261127)";

    private static readonly string Header = ConnLog.Header(["ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service"]);

    private static readonly string[] ServiceValues = ["dns", "http", "ssl", "smtp", "-ftp", "ftp-data", "quic", "a,b", "x\\y", "-", "(empty)", "\t", "é", "\u0001", "DNS", ""];

    public sealed record Source(long Micros, string Source_, string Destination, int SourcePort, int DestinationPort, string Proto, string[] Services);

    private static Gen<T[]> Many<T>(Gen<T> item, int min, int max) => Gen.Choose(min, max).SelectMany(n => Gen.ListOf(item, n).Select(l => l.ToArray()));

    private static Gen<Source> Sources() =>
        from seconds in Gen.Choose(0, int.MaxValue)
        from micros in Gen.Choose(0, 999_999)
        from v6 in Gen.Elements(false, true)
        from a in Gen.Choose(0, 255)
        from b in Gen.Choose(0, 0xffff)
        from sourcePort in Gen.Choose(0, 65535)
        from destinationPort in Gen.Choose(0, 65535)
        from proto in Gen.Elements("tcp", "udp", "icmp", "unknown_transport")
        from services in Many(Gen.Elements(ServiceValues), 0, 4)
        select new Source(
            (seconds * 1_000_000L) + micros,
            v6 ? $"2001:db8::{b:x}" : $"10.0.{a}.1",
            v6 ? $"fe80::{b:x}:1" : $"192.0.2.{a}",
            sourcePort,
            destinationPort,
            proto,
            services);

    /// <summary>Zeek's ASCII writer: escape the separators, the backslash and non-printable bytes; "-" and "(empty)" as whole values.</summary>
    private static string ZeekEscape(string value)
    {
        if (value is "-" or "(empty)")
        {
            return string.Concat(Encoding.UTF8.GetBytes(value).Select(x => $"\\x{x:x2}"));
        }

        var text = new StringBuilder();
        foreach (var x in Encoding.UTF8.GetBytes(value))
        {
            text.Append(x is < 0x20 or (byte)',' or (byte)'\\' or 0x7f ? $"\\x{x:x2}" : ((char)x).ToString());
        }

        return Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(text.ToString()));
    }

    // A removed analyzer ("-ftp") is dropped; a value that is a literal "-" is written escaped and kept.
    private static string Expected(Source s) => string.Join('|', s.Services.Where(v => v.Length > 0 && !(v[0] == '-' && v.Length > 1)));

    private static string TsvLine(Source s)
    {
        var kept = s.Services.Where(v => v.Length > 0).ToArray();
        var service = kept.Length == 0 ? "(empty)" : string.Join(',', kept.Select(v => v[0] == '-' && v.Length > 1 ? v : ZeekEscape(v)));
        return string.Join('\t', FormattableString.Invariant($"{s.Micros / 1_000_000}.{s.Micros % 1_000_000:D6}"), s.Source_, s.SourcePort, s.Destination, s.DestinationPort, s.Proto, service) + "\n";
    }

    private static string JsonLine(Source s)
    {
        // The JSON writer does not escape set elements: a comma inside a value would split it, so those are left out here.
        var kept = s.Services.Where(v => v.Length > 0 && !v.Contains(',', StringComparison.Ordinal) && !v.Contains('\\', StringComparison.Ordinal)).ToArray();
        var service = kept.Length == 0 ? string.Empty : $",\"service\":{JsonSerializer.Serialize(string.Join(',', kept))}";
        return FormattableString.Invariant($"{{\"ts\":{s.Micros / 1_000_000}.{s.Micros % 1_000_000:D6},\"id.orig_h\":\"{s.Source_}\",\"id.orig_p\":{s.SourcePort},\"id.resp_h\":\"{s.Destination}\",\"id.resp_p\":{s.DestinationPort},\"proto\":\"{s.Proto}\"{service}}}\n");
    }

    private static Transport TransportOf(string proto) => proto switch { "tcp" => Transport.Tcp, "udp" => Transport.Udp, "icmp" => Transport.Other, _ => Transport.Unknown };

    [Property(MaxTest = 300, Replay = Replay)]
    public Property Tsv_written_as_zeek_writes_it_reads_back_to_the_same_values()
        => Prop.ForAll(Many(Sources(), 1, 20).ToArbitrary(), sources =>
        {
            var outcome = ZeekInput.Read(Header + string.Concat(sources.Select(TsvLine)));
            var expected = sources.Select(s => new Row(s.Micros, IPAddressValue.Parse(s.Source_).ToString(), IPAddressValue.Parse(s.Destination).ToString(), s.SourcePort, s.DestinationPort, TransportOf(s.Proto), Expected(s), null, null));
            return expected.SequenceEqual(outcome.Rows).Label(string.Join(" / ", outcome.Rows.Zip(expected).Where(p => p.First != p.Second)));
        });

    [Property(MaxTest = 300, Replay = Replay)]
    public Property Json_written_as_zeek_writes_it_reads_back_to_the_same_values()
        => Prop.ForAll(Many(Sources(), 1, 20).ToArbitrary(), sources =>
        {
            var outcome = ZeekInput.Read(string.Concat(sources.Select(JsonLine)));
            var expected = sources.Select(s => string.Join('|', s.Services.Where(v => v.Length > 0 && v[0] != '-' && !v.Contains(',', StringComparison.Ordinal) && !v.Contains('\\', StringComparison.Ordinal))));
            return expected.SequenceEqual(outcome.Rows.Select(r => r.Apps))
                .And(sources.Select(s => (s.Micros, s.DestinationPort)).SequenceEqual(outcome.Rows.Select(r => (r.Time, r.DestinationPort ?? -1))));
        });

    private static Gen<string> NoisyLine(bool json) => Gen.Frequency(
        (6, Sources().Select(s => json ? JsonLine(s) : TsvLine(s))),
        (1, Gen.Elements("", "\r", "{}", "{\"ts\":", "1.0\t10.0.0.1", "\t\t\t\t\t\t", "é\t\u0001", new string('z', 300), "{\"ts\":1,\"id.resp_p\":99999}").Select(l => l + "\n")),
        (1, Many(Gen.Choose(0, 255).Select(b => (byte)b), 1, 40)
            .Select(bytes => Encoding.Latin1.GetString(bytes.Select(x => x is (byte)'\n' or (byte)'#' ? (byte)' ' : x).ToArray()) + "\n")));

    [Property(MaxTest = 200, Replay = Replay)]
    public Property Any_noise_after_a_header_is_counted_never_thrown_and_reading_in_blocks_changes_nothing()
        => Prop.ForAll(
            Gen.Elements(false, true).SelectMany(json => Many(NoisyLine(json), 1, 30).Select(lines => (json, lines))).ToArbitrary(),
            Many(Gen.Choose(0, 4000), 0, 12).ToArbitrary(),
            (input, cuts) =>
            {
                var (json, lines) = input;
                var text = (json ? "{\"ts\":1}\n" : Header) + string.Concat(lines);
                var bytes = Encoding.Latin1.GetBytes(text); // noise bytes stay raw, including invalid UTF-8
                var options = new ZeekReaderOptions { MaxLineLength = 200 };
                var whole = ZeekInput.Read(bytes, options);
                var blocks = ZeekInput.ReadInBlocks(bytes, cuts, options);
                return whole.Counters.IsBalanced
                    .And(whole.Rows.SequenceEqual(blocks.Rows))
                    .And(whole.Counters.ToString() == blocks.Counters.ToString())
                    .And(whole.Diagnostics.Select(d => (d.Reason, d.LineNumber, d.ByteOffset)).SequenceEqual(blocks.Diagnostics.Select(d => (d.Reason, d.LineNumber, d.ByteOffset))))
                    .And(whole.Counters.Read == lines.Count(l => l.TrimEnd('\n').TrimEnd('\r').Length > 0) + (json ? 1 : 0))
                    .Label(FormattableString.Invariant($"{whole.Counters} vs {blocks.Counters}"));
            });
}
