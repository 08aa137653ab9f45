using System.Buffers.Binary;
using System.Net;

namespace PortMismatch.Detection.Fuzz;

/// <summary>Big-endian writers for export messages and the pcap / pcapng files that carry them (seed generation).</summary>
public static class Wire
{
    /// <summary>A field specifier: element id, length, enterprise number (0: IANA).</summary>
    public readonly record struct Field(int Id, int Length, uint Enterprise = 0);

    /// <summary>Two octets, big-endian.</summary>
    public static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    /// <summary>Four octets, big-endian.</summary>
    public static byte[] U32(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    /// <summary>Eight octets, big-endian.</summary>
    public static byte[] U64(ulong value) => [.. U32((uint)(value >> 32)), .. U32((uint)value)];

    /// <summary>An address's bytes.</summary>
    public static byte[] Ip(string address) => IPAddress.Parse(address).GetAddressBytes();

    /// <summary>Text padded with NULs to <paramref name="length"/> octets.</summary>
    public static byte[] Text(string text, int length)
    {
        var bytes = new byte[length];
        System.Text.Encoding.ASCII.GetBytes(text).AsSpan(0, Math.Min(text.Length, length)).CopyTo(bytes);
        return bytes;
    }

    /// <summary>A variable-length IPFIX value (one-octet length, or 255 and a two-octet length).</summary>
    public static byte[] VarText(string text, bool longForm = false)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return longForm ? [255, .. U16(bytes.Length), .. bytes] : [(byte)bytes.Length, .. bytes];
    }

    /// <summary>An IPFIX set (id, length, body).</summary>
    public static byte[] Set(int id, params byte[][] records)
    {
        var body = records.SelectMany(r => r).ToArray();
        return [.. U16(id), .. U16(body.Length + 4), .. body];
    }

    /// <summary>An IPFIX template record, or an options template record when <paramref name="scopeCount"/> is given.</summary>
    public static byte[] TemplateRecord(int id, int? scopeCount, params Field[] fields)
    {
        var record = new List<byte>();
        record.AddRange(U16(id));
        record.AddRange(U16(fields.Length));
        if (scopeCount is { } scope)
        {
            record.AddRange(U16(scope));
        }

        foreach (var field in fields)
        {
            record.AddRange(U16(field.Enterprise == 0 ? field.Id : field.Id | 0x8000));
            record.AddRange(U16(field.Length));
            if (field.Enterprise != 0)
            {
                record.AddRange(U32(field.Enterprise));
            }
        }

        return [.. record];
    }

    /// <summary>An IPFIX message around <paramref name="sets"/>.</summary>
    public static byte[] IpfixMessage(uint domain, uint sequence, params byte[][] sets)
    {
        var body = sets.SelectMany(s => s).ToArray();
        return [.. U16(10), .. U16(16 + body.Length), .. U32(1_764_158_400), .. U32(sequence), .. U32(domain), .. body];
    }

    /// <summary>A NetFlow v9 template record.</summary>
    public static byte[] V9TemplateRecord(int id, params Field[] fields)
        => [.. U16(id), .. U16(fields.Length), .. fields.SelectMany(f => U16(f.Id).Concat(U16(f.Length)))];

    /// <summary>A NetFlow v9 options template flowset body (scope and option fields, padded to four octets).</summary>
    public static byte[] V9OptionsTemplateRecord(int id, Field[] scope, Field[] options)
    {
        byte[] record = [.. U16(id), .. U16(scope.Length * 4), .. U16(options.Length * 4), .. scope.Concat(options).SelectMany(f => U16(f.Id).Concat(U16(f.Length)))];
        return record.Length % 4 == 0 ? record : [.. record, .. new byte[4 - (record.Length % 4)]];
    }

    /// <summary>A NetFlow v9 packet: <paramref name="count"/> records in <paramref name="flowSets"/>.</summary>
    public static byte[] V9Packet(uint sourceId, uint sequence, int count, params byte[][] flowSets)
        => [.. U16(9), .. U16(count), .. U32(3_600_000), .. U32(1_764_158_400), .. U32(sequence), .. U32(sourceId), .. flowSets.SelectMany(s => s)];

    /// <summary>A flowset padded to four octets.</summary>
    public static byte[] V9FlowSet(int id, params byte[][] records)
    {
        var body = records.SelectMany(r => r).ToList();
        while (body.Count % 4 != 0)
        {
            body.Add(0);
        }

        return [.. U16(id), .. U16(body.Count + 4), .. body];
    }

    /// <summary>An Ethernet frame with an IPv4 UDP datagram (optionally VLAN-tagged).</summary>
    public static byte[] EthernetIPv4Udp(byte[] payload, string source, string destination, int port, bool vlan = false)
    {
        var ip = new byte[20];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)(28 + payload.Length));
        ip[6] = 0x40;
        ip[8] = 64;
        ip[9] = 17;
        Ip(source).CopyTo(ip, 12);
        Ip(destination).CopyTo(ip, 16);
        byte[] ethernet = vlan ? [.. new byte[12], 0x81, 0x00, 0x00, 0x64, 0x08, 0x00] : [.. new byte[12], 0x08, 0x00];
        return [.. ethernet, .. ip, .. Udp(payload, port)];
    }

    /// <summary>A Linux cooked (SLL) frame with an IPv6 UDP datagram.</summary>
    public static byte[] CookedIPv6Udp(byte[] payload, string source, string destination, int port)
    {
        var ip = new byte[40];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(8 + payload.Length));
        ip[6] = 17;
        ip[7] = 64;
        Ip(source).CopyTo(ip, 8);
        Ip(destination).CopyTo(ip, 24);
        return [0, 0, 0, 1, 0, 6, .. new byte[8], 0x86, 0xDD, .. ip, .. Udp(payload, port)];
    }

    private static byte[] Udp(byte[] payload, int port) => [0xC0, 0x00, .. U16(port), .. U16(8 + payload.Length), 0, 0, .. payload];

    /// <summary>A classic pcap file (little-endian, microseconds; or big-endian nanoseconds).</summary>
    public static byte[] Pcap(uint linkType, bool bigEndianNanoseconds, params byte[][] frames)
    {
        var file = new List<byte>();
        var header = new byte[24];
        var magic = bigEndianNanoseconds ? 0xA1B23C4Du : 0xA1B2C3D4u;
        Write32(header, 0, magic, bigEndianNanoseconds);
        Write16(header, 4, 2, bigEndianNanoseconds);
        Write16(header, 6, 4, bigEndianNanoseconds);
        Write32(header, 16, 65535, bigEndianNanoseconds);
        Write32(header, 20, linkType, bigEndianNanoseconds);
        file.AddRange(header);
        foreach (var frame in frames)
        {
            var record = new byte[16];
            Write32(record, 0, 1_764_158_400, bigEndianNanoseconds);
            Write32(record, 8, (uint)frame.Length, bigEndianNanoseconds);
            Write32(record, 12, (uint)frame.Length, bigEndianNanoseconds);
            file.AddRange(record);
            file.AddRange(frame);
        }

        return [.. file];

        static void Write32(byte[] b, int at, uint v, bool big)
        {
            if (big)
            {
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
            }
        }

        static void Write16(byte[] b, int at, ushort v, bool big)
        {
            if (big)
            {
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), v);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), v);
            }
        }
    }

    /// <summary>A little-endian pcapng file: section header, interface description, an unknown block, enhanced packets.</summary>
    public static byte[] PcapNg(ushort linkType, params byte[][] frames)
    {
        var file = new List<byte>();
        Block(file, 0x0A0D0D0A, [.. Le32(0x1A2B3C4D), 1, 0, 0, 0, .. Enumerable.Repeat((byte)0xFF, 8)]);
        Block(file, 1, [(byte)linkType, (byte)(linkType >> 8), 0, 0, .. Le32(65535)]);
        Block(file, 0x0BAD, [1, 2, 3, 4]);
        foreach (var frame in frames)
        {
            var padded = frame.Length % 4 == 0 ? frame : [.. frame, .. new byte[4 - (frame.Length % 4)]];
            Block(file, 6, [.. Le32(0), .. Le32(0), .. Le32(0), .. Le32((uint)frame.Length), .. Le32((uint)frame.Length), .. padded]);
        }

        return [.. file];

        static void Block(List<byte> file, uint type, byte[] body)
        {
            var length = (uint)(12 + body.Length);
            file.AddRange(Le32(type));
            file.AddRange(Le32(length));
            file.AddRange(body);
            file.AddRange(Le32(length));
        }

        static byte[] Le32(uint v) => [(byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24)];
    }
}
