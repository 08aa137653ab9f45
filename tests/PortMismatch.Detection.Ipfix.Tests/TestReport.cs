namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>Writes a line to the test output and, when IPFIX_TEST_REPORT names a file, to that file (for CI summaries).</summary>
internal static class TestReport
{
    private static readonly Lock Gate = new();

    public static void WriteLine(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        var path = Environment.GetEnvironmentVariable("IPFIX_TEST_REPORT");
        if (!string.IsNullOrEmpty(path))
        {
            lock (Gate)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }
    }
}
