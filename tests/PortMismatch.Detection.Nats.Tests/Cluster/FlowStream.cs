using System.Buffers;
using System.Diagnostics;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace PortMismatch.Detection.Nats.Tests.Cluster;

/// <summary>The test's side of the streams (docs/SCALE-OUT.md): the input it publishes and the final rows it reads.</summary>
internal static class FlowStream
{
    public const string Flows = "FLOWS";
    public const string Findings = "FINDINGS";
    public const int Partitions = 8;

    /// <summary>The key-value buckets of the workers (each is a stream <c>KV_&lt;bucket&gt;</c>).</summary>
    public static readonly string[] Buckets = ["portmismatch-leases", "portmismatch-checkpoints"];

    /// <summary>Creates FLOWS (subjects <c>flows.&gt;</c>, file storage, <paramref name="replicas"/> replicas).</summary>
    public static async Task CreateFlowsAsync(INatsJSContext js, int replicas)
        => await js.CreateStreamAsync(new StreamConfig(Flows, ["flows.>"]) { NumReplicas = replicas, Storage = StreamConfigStorage.File }, TestContext.Current.CancellationToken);

    /// <summary>
    /// Publishes records 0 .. <paramref name="records"/> - 1 of <paramref name="log"/>, record i to partition i mod P on
    /// <c>flows.&lt;p&gt;.zeek-json</c>, one line (without its newline) per message, with up to
    /// <paramref name="inFlight"/> publications awaiting their acknowledgement; returns the messages per second.
    /// </summary>
    public static async Task<double> PublishAsync(INatsJSContext js, FlowLog log, long records, int inFlight = 2048)
    {
        var subjects = new string[Partitions];
        for (var p = 0; p < Partitions; p++)
        {
            subjects[p] = $"flows.{p}.zeek-json";
        }

        var pending = new Queue<ValueTask<PubAckResponse>>(inFlight);
        var line = new byte[FlowLog.MaxLineBytes];
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < records; i++)
        {
            if (pending.Count == inFlight)
            {
                (await pending.Dequeue()).EnsureSuccess();
            }

            var length = log.Write(i, line) - 1;
            pending.Enqueue(js.PublishAsync(subjects[i % Partitions], line.AsSpan(0, length).ToArray(), NatsRawSerializer<byte[]>.Default, cancellationToken: TestContext.Current.CancellationToken));
        }

        while (pending.Count > 0)
        {
            (await pending.Dequeue()).EnsureSuccess();
        }

        return records / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Deletes FINDINGS and the workers' buckets, so that the next run starts from nothing but FLOWS.</summary>
    public static async Task ResetWorkerStateAsync(INatsJSContext js)
    {
        foreach (var stream in (string[])[Findings, .. Buckets.Select(static bucket => $"KV_{bucket}")])
        {
            try
            {
                await js.DeleteStreamAsync(stream, TestContext.Current.CancellationToken);
            }
            catch (NatsJSApiException error) when (error.Error.Code == 404)
            {
                // not made yet
            }
        }
    }

    /// <summary>
    /// Reads <c>findings.final</c> from where the last call stopped, adding each row to <paramref name="totals"/> once per
    /// <c>Nats-Msg-Id</c>, as docs/SCALE-OUT.md tells a reader to: nats-server 2.9 can store a repeat on a replicated stream
    /// around a leader election (its duplicate window is not deterministic there before 2.10.25); a repeat must be the very
    /// same row, and is counted in <see cref="StoredRepeats"/>. Returns how many messages it read.
    /// </summary>
    public sealed class FinalRowReader(INatsJSContext js, RowTotals totals)
    {
        private readonly Dictionary<string, string> _rows = [];

        /// <summary>Gets how many final rows the server stored a second time under an id it had (its duplicate window missed them).</summary>
        public int StoredRepeats { get; private set; }
        private ulong _next = 1;

        public async Task<int> ReadNewAsync()
        {
            var read = 0;
            try
            {
                // Not NATS.Net's ordered consumer: it filters by filter_subjects, which nats-server 2.9 ignores (the
                // package's FilteredConsumer says more); a named consumer with one FilterSubject filters there.
                var consumer = await js.CreateOrUpdateConsumerAsync(
                    Findings,
                    new ConsumerConfig
                    {
                        Name = "test-final-" + Guid.NewGuid().ToString("N"),
                        FilterSubject = "findings.final",
                        DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence,
                        OptStartSeq = _next,
                        AckPolicy = ConsumerConfigAckPolicy.None,
                        InactiveThreshold = TimeSpan.FromMinutes(1),
                        MemStorage = true,
                        NumReplicas = 1,
                    },
                    TestContext.Current.CancellationToken);
                while (true)
                {
                    var batch = 0;
                    await foreach (var message in consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = 1000 }, NatsRawSerializer<byte[]>.Default, TestContext.Current.CancellationToken))
                    {
                        batch++;
                        var id = message.Headers?["Nats-Msg-Id"].ToString();
                        Assert.False(string.IsNullOrEmpty(id), $"a final row without Nats-Msg-Id at stream sequence {message.Metadata?.Sequence.Stream}");
                        var json = Encoding.UTF8.GetString(message.Data ?? []);
                        if (_rows.TryGetValue(id!, out var first))
                        {
                            // A reader keeps one row per id (docs/SCALE-OUT.md); a repeat must be the same row.
                            Assert.Equal(first, json);
                            StoredRepeats++;
                        }
                        else
                        {
                            _rows.Add(id!, json);
                            totals.Add(json);
                        }
                        _next = message.Metadata!.Value.Sequence.Stream + 1;
                    }

                    read += batch;
                    if (batch == 0)
                    {
                        return read;
                    }
                }
            }
            catch (NatsJSApiException error) when (error.Error.Code == 404)
            {
                return read; // FINDINGS not made yet
            }
            catch (NatsJSException)
            {
                return read; // a leader change under way: read on at the next call
            }
        }
    }
}
