using PortMismatch.Detection.PanOs.Internal;

namespace PortMismatch.Detection.PanOs;

/// <summary>
/// What a PAN-OS reader carries from one buffer to the next: the options, the position (line, bytes consumed), an
/// over-long line being skipped, the counters and the scratch buffers. Create one per input and pass it to every
/// <see cref="PanOsTrafficReader"/> over that input (as <c>JsonReaderState</c> is passed between <c>Utf8JsonReader</c>s),
/// or to one of the <see cref="PanOsTrafficInput"/> methods. Not thread-safe.
/// </summary>
public sealed class PanOsReaderState
{
    /// <summary>Creates the state for one input.</summary>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="PanOsReaderOptions.Default"/>.</param>
    /// <param name="inputName">The input's name for diagnostics (a path, <c>stdin</c>), or <see langword="null"/>.</param>
    /// <param name="diagnostics">Receives each rejected or skipped line, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PanOsReaderOptions.MaxLineLength"/> is out of range or <see cref="PanOsReaderOptions.MaxClockSkew"/> is negative.</exception>
    public PanOsReaderState(PanOsReaderOptions? options = null, string? inputName = null, Action<InputDiagnostic>? diagnostics = null)
    {
        Options = options ?? PanOsReaderOptions.Default;
        Validate(Options);
        InputName = inputName;
        Framer = new SyslogFramer(Options.MaxLineLength, Counters, diagnostics, inputName);
        Decoder = new TrafficDecoder(Options, Counters, diagnostics, inputName);
    }

    /// <summary>Gets the options.</summary>
    public PanOsReaderOptions Options { get; }

    /// <summary>Gets the input's name used in diagnostics, if any.</summary>
    public string? InputName { get; }

    /// <summary>Gets the counters: <c>Read = Accepted + Rejected + Skipped</c> holds between calls.</summary>
    public InputCounters Counters { get; } = new();

    /// <summary>Gets the 1-based line at which reading continues (lines are counted by their LF bytes).</summary>
    public long LineNumber => Framer.LineNumber;

    /// <summary>Gets the number of bytes of the input consumed so far (of the decompressed input, for gzip).</summary>
    public long BytesConsumed => Framer.BytesConsumed;

    /// <summary>Gets where messages end (lines, octet counting, the length cap).</summary>
    internal SyslogFramer Framer { get; }

    /// <summary>Gets what a message says (syslog header, CSV, the flow record).</summary>
    internal TrafficDecoder Decoder { get; }

    /// <summary>Checks every option, so that a collector can refuse bad options before it binds its socket.</summary>
    /// <param name="options">The options.</param>
    internal static void Validate(PanOsReaderOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxLineLength, PanOsReaderOptions.MinMaxLineLength, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxLineLength, PanOsReaderOptions.MaxMaxLineLength, nameof(options));
        ArgumentNullException.ThrowIfNull(options.TimeZone, nameof(options));

        // Refused for files too (as the IPFIX decoder does), though only the collector uses it.
        if (options.MaxClockSkew < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxClockSkew, $"PanOsReaderOptions.MaxClockSkew is {options.MaxClockSkew}; it must not be negative.");
        }
    }
}
