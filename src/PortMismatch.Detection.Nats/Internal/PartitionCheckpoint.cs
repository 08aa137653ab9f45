using System.Buffers;
using System.Text.Json;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// The checkpoint of one partition in <c>portmismatch-checkpoints</c> (key <c>partition.&lt;p&gt;</c>):
/// <c>{ "seq", "pending_end", "watermark", "config" }</c>. <c>seq</c> is the last stream sequence whose records are in
/// published partial rows; <c>pending_end</c>, when present, is the end of a segment whose rows may be partly published
/// (the intent), which the next owner replays as one segment; <c>config</c> is what every worker must agree on.
/// </summary>
internal readonly record struct PartitionCheckpoint(ulong Sequence, ulong? PendingEnd, long Watermark, string Config)
{
    public byte[] ToBytes()
    {
        var output = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteNumber("seq"u8, Sequence);
            if (PendingEnd is { } end)
            {
                json.WriteNumber("pending_end"u8, end);
            }

            json.WriteNumber("watermark"u8, Watermark);
            json.WriteString("config"u8, Config);
            json.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    public static PartitionCheckpoint Parse(ReadOnlySpan<byte> utf8)
    {
        ulong sequence = 0;
        ulong? pending = null;
        var watermark = long.MinValue;
        var config = string.Empty;
        var json = new Utf8JsonReader(utf8);
        json.Read();
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            var name = json.ValueSpan;
            json.Read();
            if (name.SequenceEqual("seq"u8))
            {
                sequence = json.GetUInt64();
            }
            else if (name.SequenceEqual("pending_end"u8))
            {
                pending = json.GetUInt64();
            }
            else if (name.SequenceEqual("watermark"u8))
            {
                watermark = json.GetInt64();
            }
            else if (name.SequenceEqual("config"u8))
            {
                config = json.GetString() ?? string.Empty;
            }
            else
            {
                json.Skip();
            }
        }

        return new PartitionCheckpoint(sequence, pending, watermark, config);
    }
}
