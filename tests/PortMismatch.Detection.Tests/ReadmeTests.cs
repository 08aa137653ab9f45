using System.Text.RegularExpressions;

namespace PortMismatch.Detection.Tests;

/// <summary>The README's first example is this test's code, so the README cannot drift from the API.</summary>
public sealed partial class ReadmeTests
{
    [Fact]
    public void The_first_readme_example_is_compiled_and_runs_here()
    {
        // --- begin README example ---
        var evaluator = new MismatchEvaluator(RuleSet.Escu);

        var record = new FlowRecord
        {
            TimestampMicroseconds = 1_700_000_000_000_000,
            SourceAddress = IPAddressValue.Parse("10.1.0.13"),
            DestinationAddress = IPAddressValue.Parse("192.0.2.66"),
            DestinationPort = 4444,
            Transport = Transport.Tcp,
            Apps = AppValues.FromValue("ssl"u8),
        };

        var evaluation = evaluator.Evaluate(record);
        if (evaluation.IsMismatch)
        {
            var rule = evaluator.Rules[evaluation.FirstRuleIndex];
            Console.WriteLine($"{rule.Name}: expected ports {rule.ExpectedPorts}"); // SSL/TLS on a port other than 443 or 8443: expected ports 443, 8443
        }

        // --- end README example ---
        Assert.True(evaluation.IsMismatch);
        Assert.Equal("SSL/TLS on a port other than 443 or 8443: expected ports 443, 8443", $"{evaluator.Rules[evaluation.FirstRuleIndex].Name}: expected ports {evaluator.Rules[evaluation.FirstRuleIndex].ExpectedPorts}");

        var source = File.ReadAllText(Repository.PathOf("tests", "PortMismatch.Detection.Tests", "ReadmeTests.cs"));
        var start = source.IndexOf("// --- begin README example ---", StringComparison.Ordinal);
        var end = source.IndexOf("        // --- end README example ---", start + 40, StringComparison.Ordinal);
        var example = Normalize(source[(source.IndexOf('\n', start) + 1)..end]);
        var readme = Normalize(File.ReadAllText(Repository.PathOf("README.md")));
        Assert.Contains(example, readme, StringComparison.Ordinal);
    }

    private static string Normalize(string text) => string.Join('\n', text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0));
}
