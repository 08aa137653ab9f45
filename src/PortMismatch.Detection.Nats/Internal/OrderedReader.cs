using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// Reads the messages of one subject filter of a stream in order, from a position this process owns (no server-side
/// acknowledgements), in bounded batches: an ephemeral pull consumer with <c>filter_subject</c>, made again from the last
/// sequence read when it is lost (a server restart, a leader change) or a delivery skips (its consumer sequence is not
/// the next). NATS.Net's ordered consumer is not used because it sends <c>filter_subjects</c>, which nats-server before
/// 2.10 ignores: every reader would get every partition's messages.
/// </summary>
internal sealed class OrderedReader<T>(INatsJSContext js, string stream, string filter, ulong startAfter, INatsDeserialize<T> serializer)
{
    private INatsJSConsumer? _consumer;
    private ulong _consumerSequence;

    /// <summary>Gets the stream sequence of the last message read.</summary>
    public ulong Last { get; private set; } = startAfter;

    /// <summary>
    /// Gets the messages of the filter the stream holds after the last one read (the server's <c>num_pending</c> of the
    /// last delivery; 0 after a fetch that found nothing). The lag: a number, never a buffer.
    /// </summary>
    public ulong Pending { get; private set; }

    /// <summary>Fetches up to <paramref name="max"/> messages, waiting up to <paramref name="expires"/> when there are none.</summary>
    public async Task<List<INatsJSMsg<T>>> FetchAsync(int max, TimeSpan expires, CancellationToken cancellationToken)
    {
        var batch = new List<INatsJSMsg<T>>(Math.Min(max, 1024));
        try
        {
            _consumer ??= await CreateAsync(cancellationToken).ConfigureAwait(false);
            await foreach (var message in _consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = max, Expires = expires }, serializer, cancellationToken).ConfigureAwait(false))
            {
                if (message.Metadata is not { } metadata || metadata.Sequence.Consumer != _consumerSequence + 1)
                {
                    await ResetAsync().ConfigureAwait(false);
                    break;
                }

                _consumerSequence = metadata.Sequence.Consumer;
                Last = metadata.Sequence.Stream;
                Pending = metadata.NumPending;
                batch.Add(message);
            }

            if (batch.Count == 0 && _consumer is not null)
            {
                Pending = 0;
            }
        }
        catch (NatsJSException) when (!cancellationToken.IsCancellationRequested)
        {
            await ResetAsync().ConfigureAwait(false);
        }
        catch (NatsException) when (!cancellationToken.IsCancellationRequested)
        {
            await ResetAsync().ConfigureAwait(false);
        }

        return batch;
    }

    /// <summary>Deletes the server-side consumer (it would also go by itself after its inactivity threshold).</summary>
    public async Task DeleteAsync()
    {
        if (_consumer is { } consumer)
        {
            _consumer = null;
            await FilteredConsumer.DeleteAsync(js, stream, consumer).ConfigureAwait(false);
        }
    }

    private Task ResetAsync()
    {
        _consumerSequence = 0;
        return DeleteAsync();
    }

    private Task<INatsJSConsumer> CreateAsync(CancellationToken cancellationToken)
    {
        _consumerSequence = 0;
        return FilteredConsumer.CreateAsync(js, stream, filter, Last + 1, cancellationToken);
    }
}
