using System.Buffers.Binary;

namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>A field specifier for the builders: an element id, its length and (IPFIX) its enterprise number.</summary>
public readonly record struct Field(ushort Id, ushort Length, uint Enterprise = 0)
{
    public static implicit operator Field((int Id, int Length) f) => new((ushort)f.Id, (ushort)f.Length);
}

/// <summary>Writes IPFIX messages (RFC 7011) by hand for tests.</summary>
public sealed class IpfixBuilder(uint domain = 1, uint sequence = 0, uint exportTime = 1_700_000_000)
{
    private readonly List<byte> _sets = [];

    public uint Sequence { get; set; } = sequence;

    public IpfixBuilder Template(ushort id, params Field[] fields) => Set(2, TemplateRecord(id, null, fields));

    public IpfixBuilder OptionsTemplate(ushort id, int scopeCount, params Field[] fields) => Set(3, TemplateRecord(id, scopeCount, fields));

    public IpfixBuilder Withdraw(ushort id, bool options = false) => Set((ushort)(options ? 3 : 2), [.. U16(id), 0, 0]);

    public IpfixBuilder Data(ushort templateId, params byte[] records) => Set(templateId, records);

    public IpfixBuilder Set(ushort setId, byte[] body)
    {
        _sets.AddRange(U16(setId));
        _sets.AddRange(U16((ushort)(body.Length + 4)));
        _sets.AddRange(body);
        return this;
    }

    public byte[] Build()
    {
        var message = new byte[16 + _sets.Count];
        BinaryPrimitives.WriteUInt16BigEndian(message, 10);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)message.Length);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), exportTime);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), domain);
        _sets.CopyTo(message, 16);
        return message;
    }

    private static byte[] TemplateRecord(ushort id, int? scopeCount, Field[] fields)
    {
        var record = new List<byte>();
        record.AddRange(U16(id));
        record.AddRange(U16((ushort)fields.Length));
        if (scopeCount is { } scope)
        {
            record.AddRange(U16((ushort)scope));
        }

        foreach (var f in fields)
        {
            record.AddRange(U16((ushort)(f.Enterprise == 0 ? f.Id : f.Id | 0x8000)));
            record.AddRange(U16(f.Length));
            if (f.Enterprise != 0)
            {
                record.AddRange(U32(f.Enterprise));
            }
        }

        return [.. record];
    }

    public static byte[] U16(ushort v) => [(byte)(v >> 8), (byte)v];

    public static byte[] U32(uint v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];

    public static byte[] U64(ulong v) => [.. U32((uint)(v >> 32)), .. U32((uint)v)];
}

/// <summary>Writes NetFlow v9 packets (RFC 3954) by hand for tests.</summary>
public sealed class V9Builder(uint sourceId = 1, uint sequence = 0, uint sysUpTime = 100_000, uint unixSeconds = 1_700_000_000)
{
    private readonly List<byte> _sets = [];
    private int _count;

    public V9Builder Template(ushort id, params Field[] fields)
    {
        var record = new List<byte>();
        record.AddRange(IpfixBuilder.U16(id));
        record.AddRange(IpfixBuilder.U16((ushort)fields.Length));
        foreach (var f in fields)
        {
            record.AddRange(IpfixBuilder.U16(f.Id));
            record.AddRange(IpfixBuilder.U16(f.Length));
        }

        _count++;
        return Set(0, [.. record]);
    }

    public V9Builder OptionsTemplate(ushort id, Field[] scope, Field[] options)
    {
        var record = new List<byte>();
        record.AddRange(IpfixBuilder.U16(id));
        record.AddRange(IpfixBuilder.U16((ushort)(scope.Length * 4)));
        record.AddRange(IpfixBuilder.U16((ushort)(options.Length * 4)));
        foreach (var f in scope.Concat(options))
        {
            record.AddRange(IpfixBuilder.U16(f.Id));
            record.AddRange(IpfixBuilder.U16(f.Length));
        }

        while (record.Count % 4 != 0)
        {
            record.Add(0);
        }

        _count++;
        return Set(1, [.. record]);
    }

    public V9Builder Data(ushort templateId, byte[] records)
    {
        _count++;
        var padded = records.Length % 4 == 0 ? records : [.. records, .. new byte[4 - (records.Length % 4)]];
        return Set(templateId, padded);
    }

    public V9Builder Set(ushort setId, byte[] body)
    {
        _sets.AddRange(IpfixBuilder.U16(setId));
        _sets.AddRange(IpfixBuilder.U16((ushort)(body.Length + 4)));
        _sets.AddRange(body);
        return this;
    }

    public byte[] Build()
    {
        var packet = new byte[20 + _sets.Count];
        BinaryPrimitives.WriteUInt16BigEndian(packet, 9);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)_count);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), sysUpTime);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), unixSeconds);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(12), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(16), sourceId);
        _sets.CopyTo(packet, 20);
        return packet;
    }
}
