using System.Buffers.Binary;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Suricata;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Cli;

/// <summary>
/// The formats a scan reads: the adapters' own, made with the scan's reader options. <see cref="FlowInput"/> tries
/// <see cref="All"/> in order on an input's first bytes; <c>--format</c> names one (<see cref="Forced"/>), which
/// <see cref="Resolve"/> holds against what the content is.
/// </summary>
internal sealed class ScanFormats
{
    private readonly string _formatOption;
    private readonly InputFormat _ipfix;
    private readonly InputFormat _panOs;
    private readonly InputFormat _suricata;

    public ScanFormats(ScanOptions options)
    {
        _formatOption = options.Format;
        _panOs = PanOsTrafficInput.Format(PanOsReaderOptions.Default with { TimeZone = options.InputTimeZone });
        _ipfix = IpfixInput.Format(IpfixReaderOptions.Default with { IncludeReplies = options.AllDirections });
        var capture = new Capture(_ipfix);
        Zeek = ZeekConnInput.Format(options.ZeekOptions);
        _suricata = SuricataEveInput.Format(SuricataReaderOptions.Default with { IncludeReplies = options.AllDirections });

        // The binary formats first: a pcapng file starts with line breaks that the text formats skip as blanks. Zeek JSON
        // and Suricata EVE are told apart by their keys (Zeek's _path, uid, id.orig_h; EVE's event_type and timestamp).
        All = [capture, _ipfix, Zeek, _suricata, _panOs];
        Forced = options.Format switch
        {
            "zeek" => Zeek,
            "zeek-json" => new ZeekJson(Zeek),
            "panos" => _panOs,
            "suricata" => _suricata,
            "ipfix" => _ipfix,
            "pcap" => capture,
            _ => null,
        };
    }

    public InputFormat Zeek { get; }

    public IReadOnlyList<InputFormat> All { get; }

    public InputFormat? Forced { get; }

    /// <summary>
    /// The format an input is read as, from its head and the format <see cref="All"/> recognised in it: without
    /// <c>--format</c> that one; with it, the named format when the content is in it, or when no format recognises the
    /// content (the user says what it is); and an error naming what the content looks like when it is another format
    /// (<c>--format pcap</c> on an IPFIX export, <c>--format zeek-json</c> on Zeek TSV).
    /// </summary>
    public InputFormat? Resolve(ReadOnlySpan<byte> head, InputFormat? detected, out string? mismatch)
    {
        mismatch = null;
        if (Forced is null || Forced.IsMatch(head) || detected is null)
        {
            return Forced ?? detected;
        }

        mismatch = $"--format {_formatOption}, but it looks like {LooksLike(head, detected)}; give that --format or leave --format out";
        return null;
    }

    /// <summary>Whether <paramref name="format"/> reads with the Zeek reader (a large file of it is read in parallel parts).</summary>
    public bool ReadsAsZeek(InputFormat? format) => format == Zeek || format is ZeekJson;

    /// <summary>Why the content is none of the formats: its first bytes and each format's reason, in one line.</summary>
    public string Unrecognized(ReadOnlySpan<byte> head) => UnrecognizedInputException.Describe(head, [_ipfix, Zeek, _suricata, _panOs]);

    private string LooksLike(ReadOnlySpan<byte> head, InputFormat detected)
    {
        if (detected is Capture)
        {
            return "a pcap or pcapng capture (--format pcap)";
        }

        if (detected == _ipfix)
        {
            return "an IPFIX / NetFlow v9 export (--format ipfix)";
        }

        if (detected == _panOs)
        {
            return "a PAN-OS log (--format panos)";
        }

        if (detected == _suricata)
        {
            return "a Suricata EVE log (--format suricata)";
        }

        return ZeekJson.StartsWithObject(head) ? "a Zeek JSON log (--format zeek-json)" : "a Zeek TSV log (--format zeek)";
    }

    /// <summary>
    /// IPFIX or NetFlow v9 in a pcap or pcapng capture, read as <see cref="IpfixInput.Format"/> reads it: a format of its
    /// own only so that the summary counts captures apart from exports.
    /// </summary>
    private sealed class Capture(InputFormat ipfix) : InputFormat("pcap")
    {
        public override bool IsMatch(ReadOnlySpan<byte> head)
            => head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) is 0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1 or 0x0A0D0D0A;

        public override string ExplainMismatch(ReadOnlySpan<byte> head) => IsMatch(head) ? "it is" : "no pcap or pcapng magic";

        public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
            => ipfix.StreamSource(content, name, diagnostics);
    }

    /// <summary>
    /// <c>--format zeek-json</c>: Zeek content whose first line is a JSON object, read by the Zeek reader (which reads TSV
    /// and JSON alike); named <c>zeek</c>, as the summary counts it.
    /// </summary>
    private sealed class ZeekJson(InputFormat zeek) : InputFormat("zeek")
    {
        public static bool StartsWithObject(ReadOnlySpan<byte> head)
        {
            var text = head.StartsWith("\uFEFF"u8) ? head[3..] : head;
            return text.TrimStart(" \t\r\n"u8).StartsWith("{"u8);
        }

        public override bool IsMatch(ReadOnlySpan<byte> head) => StartsWithObject(head) && zeek.IsMatch(head);

        public override string ExplainMismatch(ReadOnlySpan<byte> head) => IsMatch(head) ? "it is" : "no JSON object with a Zeek log's keys";

        public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
            => zeek.StreamSource(content, name, diagnostics);
    }
}
