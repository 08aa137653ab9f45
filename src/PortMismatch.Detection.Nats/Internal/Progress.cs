using System.Buffers;
using System.Text.Json;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// A progress message on <c>findings.progress.&lt;p&gt;</c>: the partition's committed sequence, its watermark (latest record
/// time read minus the lateness; <see cref="long.MinValue"/> before any record) and whether it is idle.
/// </summary>
internal readonly record struct Progress(int Partition, ulong Sequence, long Watermark, bool Idle)
{
    public void Write(IBufferWriter<byte> output)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteNumber("p"u8, Partition);
        json.WriteNumber("seq"u8, Sequence);
        json.WriteNumber("watermark"u8, Watermark);
        json.WriteBoolean("idle"u8, Idle);
        json.WriteEndObject();
    }

    public static bool TryRead(ReadOnlySpan<byte> utf8, out Progress progress)
    {
        progress = default;
        int partition = -1;
        ulong sequence = 0;
        long watermark = long.MinValue;
        var idle = false;
        try
        {
            var json = new Utf8JsonReader(utf8);
            if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                var name = json.ValueSpan;
                json.Read();
                if (name.SequenceEqual("p"u8))
                {
                    partition = json.GetInt32();
                }
                else if (name.SequenceEqual("seq"u8))
                {
                    sequence = json.GetUInt64();
                }
                else if (name.SequenceEqual("watermark"u8))
                {
                    watermark = json.GetInt64();
                }
                else if (name.SequenceEqual("idle"u8))
                {
                    idle = json.GetBoolean();
                }
                else
                {
                    json.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        catch (FormatException)
        {
            return false;
        }

        progress = new Progress(partition, sequence, watermark, idle);
        return partition >= 0;
    }
}
