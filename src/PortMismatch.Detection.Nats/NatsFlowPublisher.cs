using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Suricata;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Detection.Nats;

/// <summary>
/// Loads files into a flow stream (docs/SCALE-OUT.md), for tests, demos and migrations: each record-bearing unit of a file
/// (a Zeek JSON line, an EVE line, a PAN-OS syslog line, an IPFIX message) is one message on
/// <c>&lt;prefix&gt;.&lt;partition&gt;.&lt;format&gt;</c>, every unit of a file on the partition of its path, with
/// <c>Nats-Msg-Id</c> <c>&lt;file identity&gt;:&lt;unit number&gt;</c>, so that a publish run again after a failure adds
/// nothing twice within the stream's duplicate window. Publishes are pipelined: up to
/// <see cref="NatsPublishOptions.MaxInFlight"/> wait for their acknowledgement at once. One file at a time per instance.
/// </summary>
public sealed class NatsFlowPublisher
{
    private const int IdentityPrefixLength = 4096;
    private readonly INatsJSContext _js;
    private readonly NatsPublishOptions _options;
    private readonly IReadOnlyList<InputFormat> _formats = [IpfixInput.Format(), ZeekConnInput.Format(), SuricataEveInput.Format(), PanOsTrafficInput.Format()];

    /// <summary>Creates a publisher.</summary>
    /// <param name="js">The JetStream context of the connection to publish on (the stream must exist: <see cref="NatsFlowStreams.EnsureAsync"/>).</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="NatsPublishOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public NatsFlowPublisher(INatsJSContext js, NatsPublishOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(js);
        _js = js;
        _options = options ?? NatsPublishOptions.Default;
        _options.Validate();
    }

    /// <summary>Gets the number of messages the stream stored, over every file so far.</summary>
    public long Published { get; private set; }

    /// <summary>Gets the number of messages the stream dropped as duplicates, over every file so far.</summary>
    public long Duplicates { get; private set; }

    /// <summary>
    /// The partition of a file: FNV-1a (32-bit) of the UTF-8 of its full path, mod <paramref name="partitions"/>. A hash of
    /// its own, not <see cref="string.GetHashCode()"/>, which differs from process to process.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="partitions">The number of partitions.</param>
    /// <returns>The partition, 0 .. <paramref name="partitions"/> - 1.</returns>
    public static int PartitionOf(string path, int partitions)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(System.IO.Path.GetFullPath(path)))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)partitions);
    }

    /// <summary>
    /// The identity of a file: the SHA-256 of its first 4 KiB (as stored, gzip or not; the first 16 bytes in hex) and its
    /// length. It is the same for a copy of the file on another machine or under another name (a migration run again from
    /// elsewhere still adds nothing twice), and it changes when the file grows: publish finished files.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <returns>The identity, <c>&lt;32 hex digits&gt;-&lt;length&gt;</c>.</returns>
    public static string IdentityOf(string path)
    {
        using var handle = InputFile.OpenHandle(path);
        var length = RandomAccess.GetLength(handle);
        Span<byte> prefix = stackalloc byte[IdentityPrefixLength];
        var read = 0;
        while (read < prefix.Length)
        {
            var n = RandomAccess.Read(handle, prefix[read..], read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(prefix[..read], hash);
        return FormattableString.Invariant($"{Convert.ToHexString(hash[..16]).ToLowerInvariant()}-{length}");
    }

    /// <summary>Publishes every unit of a file (plain or gzip) and waits for every acknowledgement.</summary>
    /// <param name="path">The file: Zeek JSON, Suricata EVE, PAN-OS syslog or IPFIX (messages back to back).</param>
    /// <param name="cancellationToken">Cancels the publishing; what was acknowledged stays in the stream.</param>
    /// <returns>What was published.</returns>
    /// <exception cref="InvalidDataException">The file is in no format that is one unit per line or message (Zeek TSV, NetFlow v9, a capture, an unknown format), or a line is longer than <see cref="NatsPublishOptions.MaxLineLength"/>.</exception>
    /// <exception cref="CompressedInputException">The file is gzip and damaged.</exception>
    public async Task<NatsPublishResult> PublishFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        var identity = IdentityOf(fullPath);
        var partition = PartitionOf(fullPath, _options.Partitions);
        await using var file = InputFile.Open(fullPath);
        var (content, format, head) = await FlowInput.DetectAsync(file, fullPath, _formats, cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            var name = FormatOf(fullPath, format, head.Span);
            var batch = new Batch(_js, FormattableString.Invariant($"{_options.SubjectPrefix}.{partition}.{name}"), identity, _options.MaxInFlight, _options.LinesPerMessage);
            try
            {
                if (name == NatsFlowFormats.Ipfix)
                {
                    await PublishMessagesAsync(fullPath, content, batch, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await PublishLinesAsync(fullPath, content, batch, cancellationToken).ConfigureAwait(false);
                }

                await batch.FlushLinesAsync(cancellationToken).ConfigureAwait(false);
                await batch.DrainAsync().ConfigureAwait(false);
            }
            finally
            {
                Published += batch.Published;
                Duplicates += batch.Duplicates;
            }

            return new NatsPublishResult(fullPath, name, partition, identity, batch.Published, batch.Duplicates);
        }
    }

    private static string FormatOf(string path, InputFormat? format, ReadOnlySpan<byte> head)
    {
        switch (format?.Name)
        {
            case "zeek":
                var start = head.IndexOfAnyExcept(" \t\r\n"u8);
                if (start >= 0 && head[start] == (byte)'{')
                {
                    return NatsFlowFormats.ZeekJson;
                }

                throw new InvalidDataException($"{path}: a Zeek TSV conn.log cannot be published: a TSV line is not a record without the file's header. Publish Zeek's JSON logs (LogAscii::use_json=T), which are one record a line.");
            case "suricata":
                return NatsFlowFormats.Suricata;
            case "panos":
                return NatsFlowFormats.PanOs;
            case "ipfix":
                if (head.Length >= 4 && BinaryPrimitives.ReadUInt16BigEndian(head) == 10)
                {
                    return NatsFlowFormats.Ipfix;
                }

                throw new InvalidDataException($"{path}: only IPFIX (version 10) messages back to back can be published, one message a message; this is NetFlow v9 or a capture (pcap, pcapng), whose messages carry no length of their own here. Scan it, or export it as IPFIX.");
            default:
                throw new InvalidDataException($"{path}: not Zeek JSON, Suricata EVE, PAN-OS syslog or IPFIX, the formats that are one unit a line or message.");
        }
    }

    private async Task PublishLinesAsync(string path, Stream content, Batch batch, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(content, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        long lineNumber = 0;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            while (true)
            {
                var end = buffer.PositionOf((byte)'\n');
                if (end is null)
                {
                    break;
                }

                lineNumber++;
                await batch.PublishLineAsync(buffer.Slice(0, end.Value), lineNumber, cancellationToken).ConfigureAwait(false);
                buffer = buffer.Slice(buffer.GetPosition(1, end.Value));
            }

            if (buffer.Length > _options.MaxLineLength)
            {
                throw new InvalidDataException(FormattableString.Invariant($"{path}: line {lineNumber + 1} is longer than {_options.MaxLineLength} bytes (NatsPublishOptions.MaxLineLength)."));
            }

            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty)
                {
                    lineNumber++;
                    await batch.PublishLineAsync(buffer, lineNumber, cancellationToken).ConfigureAwait(false);
                    buffer = buffer.Slice(buffer.End);
                }

                reader.AdvanceTo(buffer.End);
                break;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        await reader.CompleteAsync().ConfigureAwait(false);
    }

    private static async Task PublishMessagesAsync(string path, Stream content, Batch batch, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        long number = 0;
        long offset = 0;
        while (true)
        {
            var got = await content.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (got == 0)
            {
                return;
            }

            var version = BinaryPrimitives.ReadUInt16BigEndian(header);
            var length = got == 4 ? BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2)) : 0;
            if (got < 4 || version != 10 || length < 16)
            {
                throw new InvalidDataException(FormattableString.Invariant($"{path}: byte offset {offset}: no IPFIX message header (version {version}, length {length}); the file must be IPFIX messages back to back."));
            }

            var message = new byte[length];
            header.CopyTo(message, 0);
            await content.ReadExactlyAsync(message.AsMemory(4), cancellationToken).ConfigureAwait(false);
            number++;
            offset += length;
            await batch.PublishAsync(message, number, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The publishes of one file, with at most a bounded number waiting for their acknowledgement.</summary>
    private sealed class Batch(INatsJSContext js, string subject, string identity, int maxInFlight, int linesPerMessage)
    {
        private readonly Queue<Task<PubAckResponse>> _inFlight = new(maxInFlight);
        private readonly ArrayBufferWriter<byte> _lines = new();
        private long _firstLine;
        private long _lastLine;
        private int _lineCount;

        public long Published { get; private set; }

        public long Duplicates { get; private set; }

        public ValueTask PublishLineAsync(ReadOnlySequence<byte> line, long number, CancellationToken cancellationToken)
        {
            if (!line.IsEmpty && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
            {
                line = line.Slice(0, line.Length - 1);
            }

            // Blank lines carry no record: not published (their numbers are skipped, so ids stay the line numbers).
            if (linesPerMessage == 1)
            {
                var copy = line.ToArray();
                return copy.AsSpan().IndexOfAnyExcept(" \t"u8) < 0 ? ValueTask.CompletedTask : PublishAsync(copy, number, null, cancellationToken);
            }

            if (IsBlank(line))
            {
                return ValueTask.CompletedTask;
            }

            if (_lineCount++ == 0)
            {
                _firstLine = number;
            }
            else
            {
                _lines.Write("\n"u8);
            }

            foreach (var segment in line)
            {
                _lines.Write(segment.Span);
            }

            _lastLine = number;
            return _lineCount == linesPerMessage ? FlushLinesAsync(cancellationToken) : ValueTask.CompletedTask;
        }

        /// <summary>Publishes the lines gathered so far as one message (the last, shorter message of a file).</summary>
        public ValueTask FlushLinesAsync(CancellationToken cancellationToken)
        {
            if (_lineCount == 0)
            {
                return ValueTask.CompletedTask;
            }

            var data = _lines.WrittenSpan.ToArray();
            _lines.ResetWrittenCount();
            var last = _lineCount == 1 ? (long?)null : _lastLine;
            _lineCount = 0;
            return PublishAsync(data, _firstLine, last, cancellationToken);
        }

        private static bool IsBlank(in ReadOnlySequence<byte> line)
        {
            foreach (var segment in line)
            {
                if (segment.Span.IndexOfAnyExcept(" \t"u8) >= 0)
                {
                    return false;
                }
            }

            return true;
        }

        public async ValueTask PublishAsync(byte[] data, long number, long? lastNumber, CancellationToken cancellationToken)
        {
            if (_inFlight.Count >= maxInFlight)
            {
                Count(await _inFlight.Dequeue().ConfigureAwait(false));
            }

            var options = new NatsJSPubOpts
            {
                MsgId = lastNumber is { } last
                    ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{identity}:{number}-{last}")
                    : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{identity}:{number}"),
            };
            _inFlight.Enqueue(js.PublishAsync(subject, data, NatsRawSerializer<byte[]>.Default, options, cancellationToken: cancellationToken).AsTask());
        }

        public async ValueTask DrainAsync()
        {
            while (_inFlight.TryDequeue(out var pending))
            {
                Count(await pending.ConfigureAwait(false));
            }
        }

        private void Count(PubAckResponse ack)
        {
            if (ack.Duplicate)
            {
                Duplicates++;
                return;
            }

            ack.EnsureSuccess();
            Published++;
        }
    }
}
