using System.Buffers;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// One pull request's messages, copied out of the socket reader's buffers: the payloads back to back in one byte array and
/// a struct per message (its sequences, subject and headers). Reused from batch to batch, so reading allocates nothing per
/// message besides the two strings the client makes for every message (subject and reply subject) and a header value
/// when a message carries <see cref="NatsFlowFormats.FormatHeader"/> or <see cref="NatsFlowFormats.ExporterHeader"/>.
/// </summary>
internal sealed class FlowBatch
{
    private byte[] _data = new byte[64 * 1024];
    private int _used;
    private Entry[] _entries = new Entry[64];

    /// <summary>Gets the messages in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>Gets the stream sequence of message <paramref name="index"/>.</summary>
    public ulong StreamSequence(int index) => _entries[index].StreamSequence;

    /// <summary>Gets the subject of message <paramref name="index"/>.</summary>
    public string Subject(int index) => _entries[index].Subject;

    /// <summary>Gets the <see cref="NatsFlowFormats.FormatHeader"/> of message <paramref name="index"/>, or <see langword="null"/>.</summary>
    public string? Format(int index) => _entries[index].Format;

    /// <summary>Gets the <see cref="NatsFlowFormats.ExporterHeader"/> of message <paramref name="index"/>, or <see langword="null"/>.</summary>
    public string? Exporter(int index) => _entries[index].Exporter;

    /// <summary>Gets the payload of message <paramref name="index"/> (valid until the batch is cleared).</summary>
    public ReadOnlySequence<byte> Payload(int index)
    {
        ref readonly var entry = ref _entries[index];
        return new ReadOnlySequence<byte>(_data, entry.Offset, entry.Length);
    }

    /// <summary>Empties the batch, keeping its buffers.</summary>
    public void Clear()
    {
        Array.Clear(_entries, 0, Count); // drop the string references
        Count = 0;
        _used = 0;
    }

    /// <summary>Appends a message (called on the client's socket reader: the payload is copied).</summary>
    public void Add(ulong streamSequence, string subject, string? format, string? exporter, in ReadOnlySequence<byte> payload)
    {
        var length = checked((int)payload.Length);
        if (_data.Length - _used < length)
        {
            Array.Resize(ref _data, Math.Max(_data.Length * 2, _used + length));
        }

        payload.CopyTo(_data.AsSpan(_used));
        if (Count == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }

        _entries[Count++] = new Entry(_used, length, streamSequence, subject, format, exporter);
        _used += length;
    }

    private readonly record struct Entry(int Offset, int Length, ulong StreamSequence, string Subject, string? Format, string? Exporter);
}
