using System.Buffers;
using System.Text.Json;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// The merger's checkpoint (key <c>merger</c> in <c>portmismatch-checkpoints</c>). <c>final_end</c>: every window ending at or
/// before it is final. <c>resume</c>: the FINDINGS sequence a restarted merger reads from (the first partial row of the
/// oldest open window). <c>last</c>: the last sequence this state includes. <c>finalised</c>: when each window end became
/// final (pairs of window end and the sequence of the progress message that made it final) for those after
/// <c>resume</c>, and <c>final_before_resume</c> for the others, so that a replay tells a row that was in a window's final
/// rows (skipped) from one that came after them as a late row (emitted again, with the same id). <c>partitions</c>: each
/// partition's last progress (sequence, watermark, idle, seen). <c>repeats</c>: the repeat filter as of <c>resume</c>.
/// </summary>
internal sealed class MergerCheckpoint
{
    public long FinalEnd { get; set; } = long.MinValue;

    public long FinalBeforeResume { get; set; } = long.MinValue;

    public List<(long End, ulong Sequence)> Finalised { get; } = [];

    public ulong Resume { get; set; } = 1;

    public ulong Last { get; set; }

    public PartitionProgress[] Partitions { get; set; } = [];

    public string Config { get; set; } = string.Empty;

    /// <summary>The repeat filter as of <see cref="Resume"/> (just before that message).</summary>
    public RepeatFilter Repeats { get; set; } = [];

    public byte[] ToBytes()
    {
        var output = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteNumber("final_end"u8, FinalEnd);
            json.WriteNumber("final_before_resume"u8, FinalBeforeResume);
            json.WriteStartArray("finalised"u8);
            foreach (var (end, sequence) in Finalised)
            {
                json.WriteStartArray();
                json.WriteNumberValue(end);
                json.WriteNumberValue(sequence);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteNumber("resume"u8, Resume);
            json.WriteNumber("last"u8, Last);
            json.WriteStartArray("partitions"u8);
            foreach (var p in Partitions)
            {
                json.WriteStartArray();
                json.WriteNumberValue(p.Sequence);
                json.WriteNumberValue(p.Watermark);
                json.WriteBooleanValue(p.Idle);
                json.WriteBooleanValue(p.Seen);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WritePropertyName("repeats"u8);
            Repeats.Write(json);
            json.WriteString("config"u8, Config);
            json.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    public static MergerCheckpoint Parse(ReadOnlySpan<byte> utf8)
    {
        var checkpoint = new MergerCheckpoint();
        var partitions = new List<PartitionProgress>();
        var json = new Utf8JsonReader(utf8);
        json.Read();
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            var name = json.ValueSpan;
            json.Read();
            if (name.SequenceEqual("final_end"u8))
            {
                checkpoint.FinalEnd = json.GetInt64();
            }
            else if (name.SequenceEqual("final_before_resume"u8))
            {
                checkpoint.FinalBeforeResume = json.GetInt64();
            }
            else if (name.SequenceEqual("resume"u8))
            {
                checkpoint.Resume = json.GetUInt64();
            }
            else if (name.SequenceEqual("last"u8))
            {
                checkpoint.Last = json.GetUInt64();
            }
            else if (name.SequenceEqual("config"u8))
            {
                checkpoint.Config = json.GetString() ?? string.Empty;
            }
            else if (name.SequenceEqual("repeats"u8))
            {
                checkpoint.Repeats = RepeatFilter.Read(ref json);
            }
            else if (name.SequenceEqual("finalised"u8))
            {
                while (json.Read() && json.TokenType == JsonTokenType.StartArray)
                {
                    json.Read();
                    var end = json.GetInt64();
                    json.Read();
                    var sequence = json.GetUInt64();
                    json.Read();
                    checkpoint.Finalised.Add((end, sequence));
                }
            }
            else if (name.SequenceEqual("partitions"u8))
            {
                while (json.Read() && json.TokenType == JsonTokenType.StartArray)
                {
                    json.Read();
                    var sequence = json.GetUInt64();
                    json.Read();
                    var watermark = json.GetInt64();
                    json.Read();
                    var idle = json.GetBoolean();
                    json.Read();
                    var seen = json.GetBoolean();
                    json.Read();
                    partitions.Add(new PartitionProgress(sequence, watermark, idle, seen));
                }
            }
            else
            {
                json.Skip();
            }
        }

        checkpoint.Partitions = [.. partitions];
        return checkpoint;
    }
}

/// <summary>What the merger knows of a partition: its last progress message.</summary>
internal readonly record struct PartitionProgress(ulong Sequence, long Watermark, bool Idle, bool Seen);
