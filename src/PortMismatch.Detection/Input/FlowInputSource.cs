using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// A source made by <see cref="FlowInput"/>: an input whose format is told from its first bytes when it is read. Its
/// <see cref="Counters"/> are those of the format's reader from the moment the format is known (live while it is read,
/// and keeping what was read when the read fails part-way).
/// </summary>
public sealed class FlowInputSource : IFlowSource
{
    private readonly Stream? _stream;
    private readonly IReadOnlyList<InputFormat> _formats;
    private readonly Action<InputDiagnostic>? _diagnostics;
    private InputCounters _counters = new();
    private InputFormat? _format;

    internal FlowInputSource(string name, Stream? stream, IReadOnlyList<InputFormat> formats, Action<InputDiagnostic>? diagnostics)
    {
        Name = name;
        _stream = stream;
        _formats = formats;
        _diagnostics = diagnostics;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public InputCounters Counters => Volatile.Read(ref _counters);

    /// <summary>Gets the format the input was recognised as, or <see langword="null"/> before that.</summary>
    public InputFormat? Format => Volatile.Read(ref _format);

    /// <inheritdoc/>
    /// <exception cref="UnrecognizedInputException">The input matches none of the formats (an empty input matches none either); the message says what it starts with and why each format is not it.</exception>
    /// <exception cref="CompressedInputException">The input is gzip and damaged.</exception>
    public async Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var stream = _stream ?? InputFile.Open(Name);
        try
        {
            var (content, format, head) = await FlowInput.DetectAsync(stream, Name, _formats, cancellationToken).ConfigureAwait(false);
            await using (content.ConfigureAwait(false))
            {
                if (format is null)
                {
                    throw new UnrecognizedInputException(Name, head.Span, _formats);
                }

                Volatile.Write(ref _format, format);
                var source = format.StreamSource(content, Name, _diagnostics);
                Volatile.Write(ref _counters, source.Counters);
                await source.ReadAsync(sink, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (_stream is null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
