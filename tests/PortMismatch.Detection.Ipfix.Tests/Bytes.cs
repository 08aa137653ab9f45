using System.Net;
using System.Text;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>Small helpers to write record bytes in tests.</summary>
public static class Bytes
{
    public static byte[] Ip(string address) => IPAddress.Parse(address).GetAddressBytes();

    public static byte[] U8(int v) => [(byte)v];

    public static byte[] U16(int v) => IpfixBuilder.U16((ushort)v);

    public static byte[] U32(uint v) => IpfixBuilder.U32(v);

    public static byte[] U64(ulong v) => IpfixBuilder.U64(v);

    public static byte[] Text(string s, int padTo = 0)
    {
        var b = Encoding.UTF8.GetBytes(s);
        return padTo > b.Length ? [.. b, .. new byte[padTo - b.Length]] : b;
    }

    /// <summary>An IPFIX variable-length value: 1-octet length, or 255 and a 2-octet length.</summary>
    public static byte[] Var(byte[] value) => value.Length < 255 ? [(byte)value.Length, .. value] : [255, .. U16(value.Length), .. value];

    public static byte[] Cat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
