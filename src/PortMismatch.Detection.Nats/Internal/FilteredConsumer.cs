using System.Buffers;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// Makes an ephemeral pull consumer without acknowledgements on one filter subject, through the JetStream API subject
/// every nats-server version takes (<c>$JS.API.CONSUMER.CREATE.&lt;stream&gt;</c>). NATS.Net's own calls do not work on the
/// nats-server 2.9 that Debian 12 ships: its ordered consumer filters by <c>filter_subjects</c>, which 2.9 ignores (each
/// partition then reads every message), and its consumer creation puts a multi-token filter in the request subject, which
/// 2.9 refuses ("did not match filtered subject from create subject").
/// </summary>
internal static class FilteredConsumer
{
    /// <summary>How long the server keeps the consumer once nobody pulls from it.</summary>
    public static readonly TimeSpan InactiveThreshold = TimeSpan.FromMinutes(5);

    /// <summary>Creates the consumer and returns it.</summary>
    /// <param name="js">The JetStream context.</param>
    /// <param name="stream">The stream.</param>
    /// <param name="filterSubject">The one subject filter.</param>
    /// <param name="startSequence">The stream sequence to start from, or 0 for the first message.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The consumer.</returns>
    /// <exception cref="NatsJSException">The server refused it (the message is the server's).</exception>
    public static async Task<INatsJSConsumer> CreateAsync(INatsJSContext js, string stream, string filterSubject, ulong startSequence, CancellationToken cancellationToken)
    {
        var body = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("stream_name", stream);
            writer.WriteStartObject("config");
            writer.WriteString("filter_subject", filterSubject);
            writer.WriteString("ack_policy", "none");
            writer.WriteString("deliver_policy", startSequence > 0 ? "by_start_sequence" : "all");
            if (startSequence > 0)
            {
                writer.WriteNumber("opt_start_seq", startSequence);
            }

            writer.WriteString("replay_policy", "instant");
            writer.WriteNumber("inactive_threshold", (long)(InactiveThreshold.Ticks * 100)); // nanoseconds
            writer.WriteBoolean("mem_storage", true);
            writer.WriteNumber("num_replicas", 1);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        var reply = await js.Connection.RequestAsync<byte[], byte[]>(
            $"{js.Opts.Prefix}.CONSUMER.CREATE.{stream}",
            body.WrittenSpan.ToArray(),
            requestSerializer: NatsRawSerializer<byte[]>.Default,
            replySerializer: NatsRawSerializer<byte[]>.Default,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(reply.Data ?? []);
        if (document.RootElement.TryGetProperty("error", out var error))
        {
            var description = error.TryGetProperty("description", out var d) ? d.GetString() : error.ToString();
            throw new NatsJSException($"consumer on '{filterSubject}' of stream '{stream}' refused: {description}");
        }

        var name = document.RootElement.GetProperty("name").GetString()!;
        return await js.GetConsumerAsync(stream, name, cancellationToken).ConfigureAwait(false);
    }
}
