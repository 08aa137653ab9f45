using System.Buffers.Binary;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>Writes pcap and pcapng captures of UDP export datagrams for tests.</summary>
public static class Captures
{
    public static byte[] EthernetIPv4Udp(byte[] payload, string source, string destination, bool vlan = false, bool fragment = false)
    {
        var ip = new byte[20];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)(20 + 8 + payload.Length));
        ip[6] = fragment ? (byte)0x20 : (byte)0x40; // MF or DF
        ip[8] = 64;
        ip[9] = 17;
        Bytes.Ip(source).CopyTo(ip, 12);
        Bytes.Ip(destination).CopyTo(ip, 16);
        byte[] ethernet = vlan
            ? [.. new byte[12], 0x81, 0x00, 0x00, 0x64, 0x08, 0x00]
            : [.. new byte[12], 0x08, 0x00];
        return [.. ethernet, .. ip, .. Udp(payload, 4739)];
    }

    public static byte[] CookedIPv6Udp(byte[] payload, string source, string destination)
    {
        var ip = new byte[40];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(8 + payload.Length));
        ip[6] = 17;
        ip[7] = 64;
        Bytes.Ip(source).CopyTo(ip, 8);
        Bytes.Ip(destination).CopyTo(ip, 24);
        byte[] sll = [0, 0, 0, 1, 0, 6, .. new byte[8], 0x86, 0xDD];
        return [.. sll, .. ip, .. Udp(payload, 2055)];
    }

    private static byte[] Udp(byte[] payload, int port) => [0xC0, 0x00, .. Bytes.U16(port), .. Bytes.U16(8 + payload.Length), 0, 0, .. payload];

    public static byte[] Pcap(uint linkType, params byte[][] frames)
    {
        var file = new List<byte>();
        var header = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), linkType);
        file.AddRange(header);
        foreach (var frame in frames)
        {
            var record = new byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(record, 1_700_000_000);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)frame.Length);
            file.AddRange(record);
            file.AddRange(frame);
        }

        return [.. file];
    }

    public static byte[] PcapNg(ushort linkType, params byte[][] frames)
    {
        var file = new List<byte>();
        Block(file, 0x0A0D0D0A, [.. U32(0x1A2B3C4D), 1, 0, 0, 0, .. Enumerable.Repeat((byte)0xFF, 8)]);
        Block(file, 1, [(byte)linkType, (byte)(linkType >> 8), 0, 0, .. U32(65535)]);
        Block(file, 0x0BAD, [1, 2, 3, 4]); // a block type readers must skip
        foreach (var frame in frames)
        {
            var padded = frame.Length % 4 == 0 ? frame : [.. frame, .. new byte[4 - (frame.Length % 4)]];
            Block(file, 6, [.. U32(0), .. U32(0), .. U32(0), .. U32((uint)frame.Length), .. U32((uint)frame.Length), .. padded]);
        }

        return [.. file];

        static byte[] U32(uint v) => BitConverter.GetBytes(v); // little-endian section
    }

    private static void Block(List<byte> file, uint type, byte[] body)
    {
        var length = (uint)(12 + body.Length);
        file.AddRange(BitConverter.GetBytes(type));
        file.AddRange(BitConverter.GetBytes(length));
        file.AddRange(body);
        file.AddRange(BitConverter.GetBytes(length));
    }
}
