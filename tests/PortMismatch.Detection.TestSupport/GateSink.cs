namespace PortMismatch.Detection.TestSupport;

/// <summary>
/// Blocks the receive loop of a UDP collector on its first record until released, so that datagrams queue up in the
/// socket meanwhile.
/// </summary>
public sealed class GateSink : IFlowRecordSink, IDisposable
{
    private readonly ManualResetEventSlim _entered = new();
    private readonly ManualResetEventSlim _release = new();
    private long _count;

    /// <summary>Gets the records received, the held one included.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>
    /// Gets how many <see cref="Thread.SpinWait"/> iterations each record after the first costs (default 0): a slow
    /// consumer, so that a sender that goes on keeps the socket's queue from emptying.
    /// </summary>
    public int SpinPerRecord { get; init; }

    /// <inheritdoc/>
    public void OnRecord(in FlowRecord record)
    {
        if (Interlocked.Increment(ref _count) == 1)
        {
            _entered.Set();
            _release.Wait(TimeSpan.FromSeconds(30));
        }
        else if (SpinPerRecord > 0)
        {
            Thread.SpinWait(SpinPerRecord);
        }
    }

    /// <summary>Waits (at most 10 s) until the first record holds the loop.</summary>
    /// <returns>Whether it does.</returns>
    public bool WaitEntered() => _entered.Wait(TimeSpan.FromSeconds(10));

    /// <summary>Lets the loop go on.</summary>
    public void Release() => _release.Set();

    /// <inheritdoc/>
    public void Dispose()
    {
        _entered.Dispose();
        _release.Dispose();
    }
}
