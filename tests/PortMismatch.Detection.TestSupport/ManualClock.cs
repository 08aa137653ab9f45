namespace PortMismatch.Detection.TestSupport;

/// <summary>
/// A clock the test sets: wall clock and monotonic timestamps move only when <see cref="Advance"/> is called.
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>
    /// Gets how long <see cref="GetUtcNow"/> sleeps before it reads the clock (default none): a slow reader, so that a test
    /// that moves the clock before the code under test has read it fails every time rather than now and then.
    /// </summary>
    public TimeSpan ReadDelay { get; init; }

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow()
    {
        if (ReadDelay > TimeSpan.Zero)
        {
            Thread.Sleep(ReadDelay);
        }

        return new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
    }

    /// <inheritdoc/>
    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    /// <summary>Moves both clocks forward.</summary>
    /// <param name="by">How far.</param>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
