using System.Buffers;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// Reads the records of one message of a flow stream (docs/SCALE-OUT.md: one Zeek JSON line, one Suricata EVE line, one
/// PAN-OS syslog line or one IPFIX message per message), with the format from the header <c>PortMismatch-Format</c> or else
/// the subject's last token. One decoder per partition: it keeps the adapters' state (IPFIX templates, Suricata netflow
/// pairing) from message to message, and counts every record (read = accepted + rejected + skipped).
/// </summary>
/// <remarks>The groundwork reads zeek-json only; the other formats come with the io part of #20.</remarks>
internal sealed class NatsFlowDecoder
{
    private readonly ZeekReaderState _zeek;

    /// <summary>Creates a decoder for one partition.</summary>
    /// <param name="inputName">The name in diagnostics (the stream and partition).</param>
    /// <param name="diagnostics">Receives each rejected or skipped record, or <see langword="null"/>.</param>
    public NatsFlowDecoder(string inputName, Action<InputDiagnostic>? diagnostics)
    {
        _zeek = new ZeekReaderState(ZeekReaderOptions.Default, inputName, diagnostics);
        Counters = _zeek.Counters;
    }

    /// <summary>Gets the counters of every message decoded so far.</summary>
    public InputCounters Counters { get; }

    /// <summary>Decodes one message into <paramref name="sink"/>.</summary>
    /// <param name="subject">The message's subject (<c>flows.&lt;partition&gt;.&lt;format&gt;</c>).</param>
    /// <param name="formatHeader">The <c>PortMismatch-Format</c> header, or <see langword="null"/>.</param>
    /// <param name="exporterHeader">The <c>PortMismatch-Exporter</c> header (IPFIX), or <see langword="null"/>.</param>
    /// <param name="data">The message's payload.</param>
    /// <param name="sink">Receives the accepted records.</param>
    public void Decode(string subject, string? formatHeader, string? exporterHeader, ReadOnlySequence<byte> data, IFlowRecordSink sink)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(sink);
        _ = exporterHeader;
        var format = formatHeader ?? subject[(subject.LastIndexOf('.') + 1)..];
        if (format != "zeek-json")
        {
            throw new NotSupportedException($"format '{format}' is not read yet");
        }

        var reader = new ZeekConnReader(data, _zeek, isFinalBlock: true);
        while (reader.TryRead(out var record))
        {
            sink.OnRecord(record);
        }
    }
}
