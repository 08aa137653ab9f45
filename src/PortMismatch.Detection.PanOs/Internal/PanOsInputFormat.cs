using System.Buffers;

namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>
/// The PAN-OS format of <see cref="FlowInput"/> (<see cref="PanOsTrafficInput.Format"/>), reading with fixed options. It
/// recognises content by its first record, framed and parsed as the reader frames and parses it: the same octet-count
/// prefix, the same <see cref="SyslogHeader"/> (every header form the reader accepts, and none that it rejects) and the
/// same CSV split, so that detection and reading cannot disagree on a header.
/// </summary>
internal sealed class PanOsInputFormat(PanOsReaderOptions options) : InputFormat("panos")
{
    /// <summary>The fields of a PAN-OS log that tell it from other CSV: FUTURE_USE, Receive Time, Serial Number, Type.</summary>
    private const int FieldsChecked = 4;

    private const int MaxTypeLength = 32;

    // The log types (TRAFFIC, THREAT, SYSTEM, GLOBALPROTECT, ...) are words; the reader skips all but TRAFFIC.
    private static readonly SearchValues<byte> LogTypeBytes = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"u8);

    private static readonly PanOsTime ReceiveTime = new(TimeZoneInfo.Utc);

    /// <inheritdoc/>
    public override bool IsMatch(ReadOnlySpan<byte> head) => WhyNot(head) is null;

    /// <inheritdoc/>
    public override string ExplainMismatch(ReadOnlySpan<byte> head) => WhyNot(head) ?? "it is";

    /// <inheritdoc/>
    public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
        => PanOsTrafficInput.StreamSource(content, name, options, diagnostics);

    /// <summary>
    /// Tells whether the first record of <paramref name="head"/> is a PAN-OS log: <see langword="null"/> when it is, else
    /// why not. The record may be cut at the end of the head (a PAN-OS line is longer than <see cref="FlowInput.HeadLength"/>):
    /// only its header and its first four CSV fields are looked at.
    /// </summary>
    internal static string? WhyNot(ReadOnlySpan<byte> head)
    {
        // A pcapng capture starts with line breaks (its magic, 0A 0D 0D 0A): not blank lines before a log.
        if (head.StartsWith((ReadOnlySpan<byte>)[0x0A, 0x0D, 0x0D, 0x0A]))
        {
            return "a pcapng capture";
        }

        // The reader skips a byte order mark and blank lines (SyslogFramer, TrafficDecoder).
        var text = head.StartsWith("\uFEFF"u8) ? head[3..] : head;
        text = text.TrimStart(" \t\r\n"u8);
        if (text.IsEmpty)
        {
            return "no text";
        }

        var lineFeed = text.IndexOf((byte)'\n');
        var line = lineFeed < 0 ? text : text[..lineFeed];
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        // RFC 6587 octet counting: MSG-LEN SP "<" (as SyslogFramer.OctetPrefix).
        var digits = line.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        if (digits is > 0 and <= 9 && line[0] != (byte)'0' && digits + 1 < line.Length && line[digits] == (byte)' ' && line[digits + 1] == (byte)'<')
        {
            line = line[(digits + 1)..];
        }

        if (line.IndexOfAnyInRange((byte)0, (byte)0x08) >= 0 || line.IndexOfAnyInRange((byte)0x0A, (byte)0x1F) >= 0 || line.Contains((byte)0x7F))
        {
            return "binary bytes in the first line";
        }

        if (!SyslogHeader.TryParse(line, out var csvStart, out _, out _))
        {
            return "a malformed syslog header";
        }

        var csv = line[csvStart..];
        Span<FieldRange> fields = stackalloc FieldRange[FieldsChecked];
        if (CsvFields.Split(Prefix(csv, FieldsChecked), fields, out var count, out _) != CsvStatus.Done || count < FieldsChecked)
        {
            return "no syslog line with a PAN-OS CSV record (FUTURE_USE, receive time, serial, type)";
        }

        var futureUse = csv.Slice(fields[0].Start, fields[0].Length);
        if (futureUse.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
        {
            return "the first CSV field (FUTURE_USE) is not a number";
        }

        if (!ReceiveTime.TryParse(csv.Slice(fields[1].Start, fields[1].Length), out _))
        {
            return "the second CSV field is not a PAN-OS receive time";
        }

        var type = csv.Slice(fields[3].Start, fields[3].Length);
        if (type.IsEmpty || type.Length > MaxTypeLength || type.IndexOfAnyExcept(LogTypeBytes) >= 0)
        {
            return "the fourth CSV field is not a PAN-OS log type";
        }

        return null;
    }

    // The first n fields of a CSV line (up to the n-th comma), so that a record cut at the end of the head still splits.
    private static ReadOnlySpan<byte> Prefix(ReadOnlySpan<byte> csv, int n)
    {
        var end = 0;
        for (var i = 0; i < n; i++)
        {
            var comma = csv[end..].IndexOf((byte)',');
            if (comma < 0)
            {
                return csv;
            }

            end += comma + 1;
        }

        return csv[..(end - 1)];
    }
}
