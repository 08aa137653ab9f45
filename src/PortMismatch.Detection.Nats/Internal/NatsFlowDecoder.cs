using System.Buffers;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Suricata;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// Reads the records of one message of a flow stream (docs/SCALE-OUT.md: one Zeek JSON line, one Suricata EVE line, one
/// PAN-OS syslog line or one IPFIX message per message), with the format from the header <c>PortMismatch-Format</c> or else
/// the subject's last token. One decoder per partition: it keeps the adapters' state (IPFIX templates, Suricata netflow
/// pairing) from message to message, and counts every record (read = accepted + rejected + skipped).
/// </summary>
internal sealed class NatsFlowDecoder
{
    /// <summary>The reason a message of no known format is rejected with.</summary>
    public const string UnknownFormat = "unknown-format";

    private readonly ZeekReaderState _zeek;
    private readonly SuricataReaderState _suricata;
    private readonly PanOsReaderState _panOs;
    private readonly IpfixDecoder _ipfix;
    private readonly InputCounters _unknown = new();
    private readonly string _inputName;
    private readonly Action<InputDiagnostic>? _diagnostics;

    /// <summary>Creates a decoder for one partition.</summary>
    /// <param name="inputName">The name in diagnostics (the stream and partition).</param>
    /// <param name="diagnostics">Receives each rejected or skipped record, or <see langword="null"/>.</param>
    /// <param name="zeek">How Zeek JSON lines are read (default: <see cref="ZeekReaderOptions.Default"/>).</param>
    /// <param name="suricata">How EVE lines are read (default: <see cref="SuricataReaderOptions.Default"/>).</param>
    /// <param name="panOs">How PAN-OS syslog lines are read, with the firewall's time zone (default: UTC).</param>
    /// <param name="ipfix">How IPFIX messages are read (default: <see cref="IpfixReaderOptions.Default"/>).</param>
    public NatsFlowDecoder(
        string inputName,
        Action<InputDiagnostic>? diagnostics,
        ZeekReaderOptions? zeek = null,
        SuricataReaderOptions? suricata = null,
        PanOsReaderOptions? panOs = null,
        IpfixReaderOptions? ipfix = null)
    {
        ArgumentNullException.ThrowIfNull(inputName);
        _inputName = inputName;
        _diagnostics = diagnostics;
        _zeek = new ZeekReaderState(zeek ?? ZeekReaderOptions.Default, inputName, diagnostics);
        _suricata = new SuricataReaderState(suricata, inputName, diagnostics);
        _panOs = new PanOsReaderState(panOs, inputName, diagnostics);
        _ipfix = new IpfixDecoder(ipfix, inputName, diagnostics);
    }

    /// <summary>
    /// Gets the counters of every message decoded so far, all formats summed: a new object at each call, which may lag
    /// the decoding thread by a record (see <see cref="InputCounters"/>).
    /// </summary>
    public InputCounters Counters
    {
        get
        {
            var sum = new InputCounters();
            sum.Add(_zeek.Counters);
            sum.Add(_suricata.Counters);
            sum.Add(_panOs.Counters);
            sum.Add(_ipfix.Counters);
            sum.Add(_unknown);
            return sum;
        }
    }

    /// <summary>Decodes one message into <paramref name="sink"/>; never throws for what the message holds.</summary>
    /// <param name="subject">The message's subject (<c>flows.&lt;partition&gt;.&lt;format&gt;</c>).</param>
    /// <param name="formatHeader">The <c>PortMismatch-Format</c> header, or <see langword="null"/>.</param>
    /// <param name="exporterHeader">The <c>PortMismatch-Exporter</c> header (IPFIX), or <see langword="null"/>.</param>
    /// <param name="data">The message's payload.</param>
    /// <param name="sink">Receives the accepted records.</param>
    public void Decode(string subject, string? formatHeader, string? exporterHeader, ReadOnlySequence<byte> data, IFlowRecordSink sink)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(sink);
        var format = string.IsNullOrEmpty(formatHeader) ? subject.AsSpan(subject.LastIndexOf('.') + 1) : formatHeader.AsSpan();
        switch (format)
        {
            case NatsFlowFormats.ZeekJson:
            {
                var reader = new ZeekConnReader(data, _zeek, isFinalBlock: true);
                while (reader.TryRead(out var record))
                {
                    sink.OnRecord(record);
                }

                break;
            }

            case NatsFlowFormats.Suricata:
            {
                var reader = new SuricataEveReader(data, _suricata, isFinalBlock: true);
                while (reader.TryRead(out var record))
                {
                    sink.OnRecord(record);
                }

                break;
            }

            case NatsFlowFormats.PanOs:
            {
                var reader = new PanOsTrafficReader(data, _panOs, isFinalBlock: true);
                while (reader.TryRead(out var record))
                {
                    sink.OnRecord(record);
                }

                break;
            }

            case NatsFlowFormats.Ipfix:
            {
                // Without a (valid) exporter header the partition is the template scope (docs/SCALE-OUT.md).
                var exporter = exporterHeader is not null && IPAddressValue.TryParse(exporterHeader.AsSpan(), out var address) ? address : IPAddressValue.None;
                if (data.IsSingleSegment)
                {
                    _ipfix.Decode(data.FirstSpan, exporter, sink);
                }
                else
                {
                    // A message larger than one segment of the client's buffer: rare, so a copy is cheaper than the code to avoid it.
                    _ipfix.Decode(data.ToArray(), exporter, sink);
                }

                break;
            }

            default:
                _unknown.CountRead();
                _unknown.CountRejected(UnknownFormat);
                _diagnostics?.Invoke(new InputDiagnostic(
                    RecordOutcome.Rejected,
                    UnknownFormat,
                    $"message on '{Escape(subject)}' has format '{Escape(format.ToString())}', which is none of {NatsFlowFormats.List}",
                    _inputName,
                    0,
                    0));
                break;
        }
    }

    // Subjects and headers come from whoever publishes: shown escaped and capped, as every adapter quotes its input.
    private static string Escape(string text)
    {
        const int Cap = 80;
        var builder = new System.Text.StringBuilder(Math.Min(text.Length, Cap) + 8);
        foreach (var c in text.Length > Cap ? text[..Cap] : text)
        {
            if (char.IsControl(c))
            {
                builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return text.Length > Cap ? builder.Append("...").ToString() : builder.ToString();
    }
}
