using System.Buffers.Binary;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Cli;

/// <summary>
/// The formats a scan reads: the adapters' own, made with the scan's reader options. <see cref="FlowInput"/> tries
/// <see cref="All"/> in order on an input's first bytes; <c>--format</c> names one (<see cref="Forced"/>) that reads every
/// input whatever its first bytes.
/// </summary>
internal sealed class ScanFormats
{
    public ScanFormats(ScanOptions options)
    {
        var panOs = PanOsTrafficInput.Format(PanOsReaderOptions.Default with { TimeZone = options.InputTimeZone });
        var ipfix = IpfixInput.Format(IpfixReaderOptions.Default with { IncludeReplies = options.AllDirections });
        var capture = new Capture(ipfix);
        Zeek = ZeekConnInput.Format(options.ZeekOptions);

        // The binary formats first: a pcapng file starts with line breaks that the text formats skip as blanks.
        All = [capture, ipfix, Zeek, panOs];
        Forced = options.Format switch
        {
            "zeek" or "zeek-json" => Zeek,
            "panos" => panOs,
            "ipfix" => ipfix,
            "pcap" => capture,
            _ => null,
        };
    }

    public InputFormat Zeek { get; }

    public IReadOnlyList<InputFormat> All { get; }

    public InputFormat? Forced { get; }

    /// <summary>
    /// IPFIX or NetFlow v9 in a pcap or pcapng capture, read as <see cref="IpfixInput.Format"/> reads it: a format of its
    /// own only so that the summary counts captures apart from exports.
    /// </summary>
    private sealed class Capture(InputFormat ipfix) : InputFormat("pcap")
    {
        public override bool IsMatch(ReadOnlySpan<byte> head)
            => head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) is 0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1 or 0x0A0D0D0A;

        public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
            => ipfix.StreamSource(content, name, diagnostics);
    }
}
