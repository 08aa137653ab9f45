using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// Makes an ephemeral pull consumer without acknowledgements on one filter subject (the source's partition readers, the
/// worker's <see cref="OrderedReader{T}"/>). NATS.Net's ordered consumer does not do on the nats-server 2.9 that Debian 12
/// ships: it filters by <c>filter_subjects</c>, which 2.9 ignores (each partition then reads every message). A consumer
/// made with one <c>FilterSubject</c> does, when it has a name: without one, NATS.Net puts the filter in the request
/// subject, which 2.9 refuses for a multi-token filter ("did not match filtered subject from create subject").
/// </summary>
internal static class FilteredConsumer
{
    /// <summary>How long the server keeps the consumer once nobody pulls from it.</summary>
    public static readonly TimeSpan InactiveThreshold = TimeSpan.FromMinutes(1);

    /// <summary>Creates the consumer and returns it.</summary>
    /// <param name="js">The JetStream context.</param>
    /// <param name="stream">The stream.</param>
    /// <param name="filterSubject">The one subject filter.</param>
    /// <param name="startSequence">The stream sequence to start from, or 0 for the first message.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The consumer.</returns>
    /// <exception cref="NatsJSException">The server refused it.</exception>
    public static async Task<INatsJSConsumer> CreateAsync(INatsJSContext js, string stream, string filterSubject, ulong startSequence, CancellationToken cancellationToken)
        => await js.CreateOrUpdateConsumerAsync(
            stream,
            new ConsumerConfig
            {
                Name = "pm-" + Guid.NewGuid().ToString("N"),
                FilterSubject = filterSubject,
                DeliverPolicy = startSequence > 0 ? ConsumerConfigDeliverPolicy.ByStartSequence : ConsumerConfigDeliverPolicy.All,
                OptStartSeq = startSequence,
                AckPolicy = ConsumerConfigAckPolicy.None,
                InactiveThreshold = InactiveThreshold,
                MemStorage = true,
                NumReplicas = 1,
            },
            cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Deletes a consumer this process made; a consumer gone already, or a server out of reach, is let be (the inactivity
    /// threshold removes it).
    /// </summary>
    public static async Task DeleteAsync(INatsJSContext js, string stream, INatsJSConsumer consumer)
    {
        try
        {
            await js.DeleteConsumerAsync(stream, consumer.Info.Name).ConfigureAwait(false);
        }
        catch (NatsException)
        {
            // gone already, or the server is unreachable: the inactivity threshold removes it
        }
    }
}
