using System.Text;
using PortMismatch.Detection.Fuzz;

namespace PortMismatch.Detection.Adversarial.Tests;

/// <summary>
/// The fuzz targets of tests/PortMismatch.Detection.Fuzz, run in CI over their generated seeds and the inputs the AFL++
/// runs found: the harness code keeps compiling and working, and the findings
/// stay fixed. A failure names the target and the input.
/// </summary>
public sealed class FuzzSmokeTests
{
    public static TheoryData<string> Targets => [.. TargetNames.All];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_runs_through_its_target(string target)
    {
        var seeds = Seeds.For(target);
        Assert.NotEmpty(seeds);
        foreach (var (name, bytes) in seeds)
        {
            var exception = Record.Exception(() => FuzzTargets.Run(target, bytes));
            Assert.True(exception is null, $"{target} {name}: {exception}");
        }
    }

    [Theory]
    [InlineData("zeek-tsv", "#separator \\x09\n#path\tdns\n#fields\tquery\tanswers\n#path\tconn\n1.0\texample.com\n")]
    [InlineData("zeek-json", "{\"ts\":5,\"protr\":\"tcp\",\"service\":\"sm\\udd0074p\"}\n{\"ts\":17}\n")]
    public void The_fuzzing_findings_stay_fixed(string target, string input)
    {
        var exception = Record.Exception(() => FuzzTargets.Run(target, Encoding.UTF8.GetBytes(input)));
        Assert.True(exception is null, $"{target}: {exception}");
    }
}
