namespace PortMismatch.Detection;

/// <summary>
/// A format that <see cref="FlowInput"/> recognises from the first bytes of an input's content and reads. Each adapter
/// package gives one (<c>ZeekConnInput.Format()</c>, <c>PanOsTrafficInput.Format()</c>, <c>IpfixInput.Format()</c>), made
/// with that adapter's reader options; a host that reads another format derives its own.
/// </summary>
public abstract class InputFormat
{
    /// <summary>Creates the format.</summary>
    /// <param name="name">The format's name as hosts show it (<c>zeek</c>, <c>panos</c>, <c>ipfix</c>).</param>
    protected InputFormat(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>Gets the format's name.</summary>
    public string Name { get; }

    /// <summary>
    /// Tells whether content that starts with <paramref name="head"/> is in this format. Content is what is left once gzip
    /// is unwrapped; <paramref name="head"/> holds its first <see cref="FlowInput.HeadLength"/> bytes, or all of it when it is shorter.
    /// </summary>
    /// <param name="head">The first bytes of the content.</param>
    /// <returns>Whether this format reads it.</returns>
    public abstract bool IsMatch(ReadOnlySpan<byte> head);

    /// <summary>
    /// Says in a few words why content that starts with <paramref name="head"/> is not in this format (<c>no #separator
    /// or #fields header</c>), for the error of an input that no format recognises (<see cref="UnrecognizedInputException"/>).
    /// The default says only that it is not this format; the adapters' formats say what they looked for.
    /// </summary>
    /// <param name="head">The first bytes of the content, as <see cref="IsMatch"/> gets them.</param>
    /// <returns>The reason, without the format's name and without a full stop.</returns>
    public virtual string ExplainMismatch(ReadOnlySpan<byte> head) => IsMatch(head) ? "it is" : "not recognised";

    /// <summary>
    /// Makes a source that reads <paramref name="content"/> in this format, from its current position to its end; the
    /// source leaves the stream open. Its counters are live while it is read.
    /// </summary>
    /// <param name="content">The content (plain, or gzip that the source unwraps).</param>
    /// <param name="name">The input's name, for the source and its diagnostics.</param>
    /// <param name="diagnostics">Receives rejected and skipped records, or <see langword="null"/>.</param>
    /// <returns>The source.</returns>
    public abstract IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
