using System.Globalization;
using System.Runtime.CompilerServices;

namespace PortMismatch.Detection.Ipfix.Internal;

/// <summary>
/// Formats a diagnostic message only when someone listens: without a diagnostics callback the interpolation is skipped,
/// so skipping a reply or a re-sent template allocates nothing.
/// </summary>
[InterpolatedStringHandler]
internal ref struct DiagnosticMessage
{
    private DefaultInterpolatedStringHandler _inner;

    public DiagnosticMessage(int literalLength, int formattedCount, IpfixDecoder decoder, out bool shouldAppend)
    {
        Enabled = shouldAppend = decoder.HasDiagnostics;
        _inner = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount, CultureInfo.InvariantCulture) : default;
    }

    public bool Enabled { get; }

    public void AppendLiteral(string value) => _inner.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);

    public void AppendFormatted(string? value) => _inner.AppendFormatted(value);

    public string ToStringAndClear() => Enabled ? _inner.ToStringAndClear() : string.Empty;
}
