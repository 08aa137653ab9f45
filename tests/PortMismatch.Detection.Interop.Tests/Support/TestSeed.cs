namespace PortMismatch.Detection.Interop.Tests.Support;

/// <summary>Seeded tests write their seeds to the test's output, which xunit prints with a failure.</summary>
internal static class TestSeed
{
    /// <summary>Notes a seed and returns a generator made from it.</summary>
    public static Random Random(int seed)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(FormattableString.Invariant($"seed {seed}"));
        return new Random(seed);
    }
}
