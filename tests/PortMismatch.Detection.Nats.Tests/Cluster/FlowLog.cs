using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace PortMismatch.Detection.Nats.Tests.Cluster;

/// <summary>
/// A generated Zeek JSON conn log of any length, one line per record, as Zeek's JSON writer writes it: record
/// <c>i</c> is a pure function of (seed, i), so the publisher and the expected result make the same lines without holding
/// a million of them. Times rise with <c>i</c> (one record every <see cref="StepMicroseconds"/>), so records given to
/// partitions round-robin are in time order in every partition, as a sensor's log is, and no record is late anywhere.
/// About one record in twenty breaks the ESCU rule (DNS off 53, HTTP off 80/8080/8000, TLS off 443/8443, STARTTLS on 25),
/// over 1,000 internal sources and 100 destinations, so a window has a few thousand distinct findings.
/// </summary>
internal sealed class FlowLog(int seed)
{
    /// <summary>The first record's time: 2023-11-14 22:13:20 UTC, in Unix microseconds.</summary>
    public const long StartMicroseconds = 1_700_000_000_000_000;

    /// <summary>The time between two records: a million records span 30 minutes.</summary>
    public const long StepMicroseconds = 1_800;

    /// <summary>The longest line <see cref="Write"/> makes, newline included.</summary>
    public const int MaxLineBytes = 512;

    private static readonly (byte[] Proto, byte[]? Service, int Port)[] Normal =
    [
        ("udp"u8.ToArray(), "dns"u8.ToArray(), 53), ("tcp"u8.ToArray(), "ssl"u8.ToArray(), 443), ("tcp"u8.ToArray(), "http"u8.ToArray(), 80),
        ("tcp"u8.ToArray(), "ssh"u8.ToArray(), 22), ("udp"u8.ToArray(), "ntp"u8.ToArray(), 123), ("tcp"u8.ToArray(), null, 3389),
        ("udp"u8.ToArray(), "quic,ssl"u8.ToArray(), 443), ("tcp"u8.ToArray(), "http"u8.ToArray(), 8080),
    ];

    private static readonly (byte[] Proto, byte[]? Service, int Port)[] Mismatch =
    [
        ("udp"u8.ToArray(), "dns"u8.ToArray(), 5353), ("tcp"u8.ToArray(), "http"u8.ToArray(), 8081),
        ("tcp"u8.ToArray(), "ssl"u8.ToArray(), 993), ("tcp"u8.ToArray(), "smtp,ssl"u8.ToArray(), 25),
    ];

    /// <summary>Gets the seed (printed by the tests, so that a failure can be replayed).</summary>
    public int Seed { get; } = seed;

    /// <summary>Writes record <paramref name="index"/>'s line (newline included) and returns its length.</summary>
    public int Write(long index, Span<byte> destination)
    {
        var random = Mix(((ulong)(uint)Seed << 32) ^ (ulong)index);
        var mismatch = random % 20 == 0;
        var table = mismatch ? Mismatch : Normal;
        var (proto, service, port) = table[(int)((random >> 8) % (ulong)table.Length)];
        var source = (int)((random >> 16) % 1000);
        var target = (int)((random >> 32) % 100) + 1;
        var micros = StartMicroseconds + (index * StepMicroseconds);
        var written = 0;
        Append(destination, ref written, "{\"ts\":"u8);
        Number(destination, ref written, micros / 1_000_000);
        Append(destination, ref written, "."u8);
        Utf8Formatter.TryFormat(micros % 1_000_000, destination[written..], out var digits, new StandardFormat('D', 6));
        written += digits;
        Append(destination, ref written, ",\"uid\":\"C"u8);
        Number(destination, ref written, index);
        Append(destination, ref written, "\",\"id.orig_h\":\"10.0."u8);
        Number(destination, ref written, source / 250);
        Append(destination, ref written, "."u8);
        Number(destination, ref written, (source % 250) + 1);
        Append(destination, ref written, "\",\"id.orig_p\":"u8);
        Number(destination, ref written, 1024 + (long)((random >> 40) % 60000));
        Append(destination, ref written, ",\"id.resp_h\":\"192.0.2."u8);
        Number(destination, ref written, target);
        Append(destination, ref written, "\",\"id.resp_p\":"u8);
        Number(destination, ref written, port);
        Append(destination, ref written, ",\"proto\":\""u8);
        Append(destination, ref written, proto);
        if (service is not null)
        {
            Append(destination, ref written, "\",\"service\":\""u8);
            Append(destination, ref written, service);
        }

        Append(destination, ref written, "\",\"duration\":0.25,\"orig_bytes\":"u8);
        Number(destination, ref written, (long)((random >> 48) % 9000));
        Append(destination, ref written, ",\"resp_bytes\":420,\"conn_state\":\"SF\",\"local_orig\":true,\"local_resp\":false,\"missed_bytes\":0,\"history\":\"ShADadFf\",\"orig_pkts\":3,\"orig_ip_bytes\":300,\"resp_pkts\":4,\"resp_ip_bytes\":400}\n"u8);
        return written;
    }

    /// <summary>Gets record <paramref name="index"/>'s line as text (for failure messages).</summary>
    public string Line(long index)
    {
        Span<byte> line = stackalloc byte[MaxLineBytes];
        return Encoding.UTF8.GetString(line[..Write(index, line)]);
    }

    // SplitMix64's finalizer: a good 64-bit hash of (seed, index), so records need no generator state.
    private static ulong Mix(ulong value)
    {
        value += 0x9E3779B97F4A7C15;
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EB;
        return value ^ (value >> 31);
    }

    private static void Append(Span<byte> destination, ref int written, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination[written..]);
        written += text.Length;
    }

    private static void Number(Span<byte> destination, ref int written, long value)
    {
        Utf8Formatter.TryFormat(value, destination[written..], out var digits);
        written += digits;
    }
}
