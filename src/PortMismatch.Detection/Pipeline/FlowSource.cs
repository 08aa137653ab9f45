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
