namespace PortMismatch.Cli;

/// <summary>One input of a scan and what became of it: its sources (one, or the parts of a split file), its format, whether it failed.</summary>
internal sealed class InputState(Input input)
{
    private volatile bool _failed;

    public Input Input { get; } = input;

    public List<IFlowSource> Sources { get; } = [];

    /// <summary>Gets or sets the format it was read as, once known.</summary>
    public InputFormat? Format { get; set; }

    /// <summary>Gets whether it could not be read to its end (or at all); it is then reported once, by that failure.</summary>
    public bool Failed => _failed;

    public void Fail() => _failed = true;

    /// <summary>The sum of its sources' counters.</summary>
    public InputCounters Counters()
    {
        var sum = new InputCounters();
        foreach (var source in Sources)
        {
            sum.Add(source.Counters);
        }

        return sum;
    }
}

/// <summary>
/// An input read as one source: opens it, detects its format and reads it. Its <see cref="Counters"/> are the reader's
/// own from the moment the format is known, so they are live (progress, the pipeline's meter) and keep what was read
/// when the input fails part-way (a corrupt gzip member, an I/O error): the pipeline adds a source's counters when it ends,
/// however it ends.
/// </summary>
internal sealed class InputSource(InputState state, ScanOptions options, ScanCommand.Run run) : IFlowSource
{
    private InputCounters _counters = new();

    public string Name => state.Input.Name;

    public InputCounters Counters => Volatile.Read(ref _counters);

    public async Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
    {
        var input = state.Input;
        if (input.Length == 0 && !input.IsStream)
        {
            // An empty file (a rotated log of a quiet hour): nothing to read, nothing wrong.
            run.AddEmpty();
            return;
        }

        Stream? stream = null;
        Stream? content = null;
        try
        {
            stream = await input.OpenAsync(run, cancellationToken).ConfigureAwait(false);
            if (stream is null)
            {
                run.AddEmpty();
                return;
            }

            // The adapters' formats tell the input from its first bytes (after gzip); --format is held against what they tell.
            // No bytes at all (empty standard input, a gzip member of nothing) is an empty input, as an empty file is.
            (content, var detected, var head) = await FlowInput.DetectAsync(stream, input.Name, [EmptyContent.Instance, .. options.Formats.All], cancellationToken).ConfigureAwait(false);
            if (detected == EmptyContent.Instance)
            {
                run.AddEmpty();
                return;
            }

            var format = options.Formats.Resolve(head.Span, detected, out var mismatch);
            if (mismatch is not null)
            {
                state.Fail();
                run.Unreadable(input.Name, mismatch);
                return;
            }

            // With --fields, what no format recognises is taken for headerless Zeek TSV (zeek-cut output has no header to tell it by).
            format ??= options.FieldNames is null ? null : options.Formats.Zeek;

            if (format is null)
            {
                if (input.Explicit)
                {
                    state.Fail();
                }

                run.Unrecognized(input, options.Formats.Unrecognized(head.Span));
                return;
            }

            state.Format = format;
            run.AddFormat(format);
            var source = format.StreamSource(content, input.Name, run.Diagnostics);
            Volatile.Write(ref _counters, source.Counters);
            await source.ReadAsync(sink, cancellationToken).ConfigureAwait(false);
            run.EndOfInput(input.Name, Counters.Rejected);
        }
        catch (Exception e) when (e is InputFormatException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            state.Fail();
            run.EndOfInput(input.Name, Counters.Rejected);
            run.Unreadable(input.Name, e);
        }
        finally
        {
            // The content (a gzip reader's inflater and pooled buffer) is not the file: both are disposed, however the read ended.
            if (content is not null)
            {
                await content.DisposeAsync().ConfigureAwait(false);
            }

            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public override string ToString() => Name;
}

/// <summary>
/// Content without a single byte: tried before the adapters' formats, so that an input with nothing in it (empty standard
/// input, a gzip file of nothing) is counted as empty instead of as a format no adapter recognises.
/// </summary>
internal sealed class EmptyContent : InputFormat
{
    private EmptyContent()
        : base("empty")
    {
    }

    public static EmptyContent Instance { get; } = new();

    public override bool IsMatch(ReadOnlySpan<byte> head) => head.IsEmpty;

    public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
        => FlowSource.Create(name, new InputCounters(), static (_, _) => Task.CompletedTask);
}
