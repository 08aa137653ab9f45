namespace PortMismatch.Detection;

/// <summary>Makes an <see cref="IFlowSource"/> out of any reader, for inputs the adapter packages do not cover.</summary>
public static class FlowSource
{
    /// <summary>Wraps a read function as a source.</summary>
    /// <param name="name">The source's name for diagnostics and summaries.</param>
    /// <param name="counters">The counters the read function updates.</param>
    /// <param name="read">Reads every record into the sink; see <see cref="IFlowSource.ReadAsync"/>.</param>
    /// <returns>The source.</returns>
    public static IFlowSource Create(string name, InputCounters counters, Func<IFlowRecordSink, CancellationToken, Task> read)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(read);
        return new DelegateSource(name, counters, read);
    }

    /// <summary>
    /// Makes one source of several read in turn (files, then a socket that runs until cancelled); its counters are the sum
    /// of the parts' (a snapshot on each read of <see cref="IFlowSource.Counters"/>). A part that fails stops the rest.
    /// </summary>
    /// <param name="name">The source's name.</param>
    /// <param name="parts">The parts, in reading order.</param>
    /// <returns>The source.</returns>
    public static IFlowSource Concat(string name, IReadOnlyList<IFlowSource> parts)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(parts);
        foreach (var part in parts)
        {
            ArgumentNullException.ThrowIfNull(part, nameof(parts));
        }

        return new ConcatSource(name, [.. parts]);
    }

    private sealed class ConcatSource(string name, IFlowSource[] parts) : IFlowSource
    {
        public string Name => name;

        public InputCounters Counters
        {
            get
            {
                var sum = new InputCounters();
                foreach (var part in parts)
                {
                    sum.Add(part.Counters);
                }

                return sum;
            }
        }

        public async Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(sink);
            foreach (var part in parts)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await part.ReadAsync(sink, cancellationToken).ConfigureAwait(false);
            }
        }

        public override string ToString() => name;
    }

    private sealed class DelegateSource(string name, InputCounters counters, Func<IFlowRecordSink, CancellationToken, Task> read) : IFlowSource
    {
        public string Name => name;

        public InputCounters Counters => counters;

        public Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(sink);
            return read(sink, cancellationToken);
        }

        public override string ToString() => name;
    }
}
