using System.Diagnostics;

namespace PortMismatch.Detection.TestSupport;

/// <summary>
/// Waits for something another thread, a socket or a process does, instead of sleeping and hoping it is done: looks
/// every few milliseconds until the condition holds and fails the test at the deadline with what it saw last.
/// </summary>
public static class Poll
{
    /// <summary>The deadline when none is given: long enough for a loaded CI machine, short enough to fail a hang.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Reads <paramref name="observe"/> until <paramref name="done"/> holds for what it read, and returns that; fails the
    /// test with the last reading if it does not within <paramref name="timeout"/>.
    /// </summary>
    /// <typeparam name="T">What is observed.</typeparam>
    /// <param name="observe">Reads the state (from any thread: it must be safe to call while the other side works).</param>
    /// <param name="done">Whether a reading is the one waited for.</param>
    /// <param name="what">What is waited for, for the failure message.</param>
    /// <param name="timeout">The deadline, <see cref="DefaultTimeout"/> if <see langword="null"/>.</param>
    /// <returns>The first reading for which <paramref name="done"/> holds.</returns>
    public static async Task<T> UntilAsync<T>(Func<T> observe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var seen = observe();
            if (done(seen))
            {
                return seen;
            }

            if (clock.Elapsed >= limit)
            {
                Assert.Fail($"{what}: not within {limit.TotalSeconds:0.###} s; last seen: {seen}");
            }

            await Task.Delay(Interval, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds; fails the test with <paramref name="lastSeen"/> (read at the
    /// deadline) if it does not within <paramref name="timeout"/>.
    /// </summary>
    /// <param name="condition">The condition (safe to call while the other side works).</param>
    /// <param name="lastSeen">Describes the state for the failure message.</param>
    /// <param name="timeout">The deadline, <see cref="DefaultTimeout"/> if <see langword="null"/>.</param>
    /// <returns>A task that completes when the condition holds.</returns>
    public static async Task UntilAsync(Func<bool> condition, Func<string> lastSeen, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed >= limit)
            {
                Assert.Fail($"not within {limit.TotalSeconds:0.###} s: {lastSeen()}");
            }

            await Task.Delay(Interval, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds or <paramref name="timeout"/> passes, without failing: for a test
    /// that tolerates a shortfall (some datagrams lost on a loaded machine) and asserts on what arrived itself.
    /// </summary>
    /// <param name="condition">The condition (safe to call while the other side works).</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <returns>Whether the condition held before the deadline.</returns>
    public static async Task<bool> WithinAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed >= timeout)
            {
                return false;
            }

            await Task.Delay(Interval, TestContext.Current.CancellationToken);
        }

        return true;
    }
}
