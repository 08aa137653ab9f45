namespace PortMismatch.Detection.Tests.Rules;

public sealed class RuleValidationTests
{
    private static readonly PortSet Ports = PortSet.Of(53);

    [Theory]
    [InlineData("", "needs a non-blank id")]
    [InlineData("  ", "needs a non-blank id")]
    public void Blank_ids_are_refused(string id, string problem)
        => Assert.Contains(problem, Assert.Throws<ArgumentException>(() => new DetectionRule(id, "n", ["dns"], Ports)).Message, StringComparison.Ordinal);

    [Fact]
    public void Each_problem_is_named_with_the_rule()
    {
        Assert.Contains("Rule 'r' needs a non-blank name", Assert.Throws<ArgumentException>(() => new DetectionRule("r", " ", ["dns"], Ports)).Message, StringComparison.Ordinal);
        Assert.Contains("Rule 'r' needs at least one app name", Assert.Throws<ArgumentException>(() => new DetectionRule("r", "n", [], Ports)).Message, StringComparison.Ordinal);
        Assert.Contains("Rule 'r' has a blank app name", Assert.Throws<ArgumentException>(() => new DetectionRule("r", "n", ["dns", ""], Ports)).Message, StringComparison.Ordinal);
        Assert.Contains("Rule 'r' lists the app 'DNS' twice", Assert.Throws<ArgumentException>(() => new DetectionRule("r", "n", ["dns", "DNS"], Ports)).Message, StringComparison.Ordinal);
        Assert.Contains("Rule 'r' needs at least one expected port", Assert.Throws<ArgumentException>(() => new DetectionRule("r", "n", ["dns"], PortSet.Empty)).Message, StringComparison.Ordinal);
        Assert.Contains("Rule 'r' has the risk score 101", Assert.Throws<ArgumentException>(() => new DetectionRule("r", "n", ["dns"], Ports) { RiskScore = 101 }).Message, StringComparison.Ordinal);
        Assert.Contains("Rule 'r' has a blank technique id", Assert.Throws<ArgumentException>(() => new DetectionRule("r", "n", ["dns"], Ports) { Techniques = [" "] }).Message, StringComparison.Ordinal);
        Assert.Contains("Rule 'r' names the transport", Assert.Throws<ArgumentException>(() => new DetectionRule("r", "n", ["dns"], Ports) { Transport = Transport.Unknown }).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public void Ports_out_of_range_are_refused(int port)
        => Assert.Throws<ArgumentOutOfRangeException>(() => PortSet.Of(port));

    [Fact]
    public void A_range_that_ends_before_it_starts_is_refused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new PortRange(10, 9));

    [Fact]
    public void Duplicate_ids_and_empty_sets_are_refused()
    {
        var rule = new DetectionRule("same", "n", ["dns"], Ports);
        Assert.Contains("Rule 'same' appears twice", Assert.Throws<ArgumentException>(() => new RuleSet([rule, rule])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new RuleSet([]));
    }

    [Fact]
    public void An_app_claimed_by_two_rules_with_different_ports_is_allowed()
    {
        var set = new RuleSet([new DetectionRule("a", "a", ["http"], PortSet.Of(80)), new DetectionRule("b", "b", ["http"], PortSet.Of(8080))]);
        Assert.Equal(2, set.Count);
    }

    [Fact]
    public void Port_sets_merge_and_sort_ranges()
    {
        var set = PortSet.Parse("8080, 80, 8000-8079, 81");
        Assert.Equal("80-81, 8000-8080", set.ToString());
        Assert.True(set.Contains(8042));
        Assert.False(set.Contains(82));
        Assert.Throws<FormatException>(() => PortSet.Parse("80, http"));
        Assert.Throws<FormatException>(() => PortSet.Parse("70000"));
    }

    [Fact]
    public void Escu_is_section_one_of_the_contract()
    {
        var escu = RuleSet.Escu;
        Assert.Equal(4, escu.Count);
        Assert.Equal(["dns"], escu[0].Apps);
        Assert.Equal("53", escu[0].ExpectedPorts.ToString());
        Assert.Equal(["web-browsing", "http"], escu[1].Apps);
        Assert.Equal("80, 8000, 8080", escu[1].ExpectedPorts.ToString());
        Assert.Equal(["ssl"], escu[2].Apps);
        Assert.Equal("443, 8443", escu[2].ExpectedPorts.ToString());
        Assert.Equal(["smtp"], escu[3].Apps);
        Assert.Equal("25", escu[3].ExpectedPorts.ToString());
        Assert.All(escu, rule =>
        {
            Assert.Equal(25, rule.RiskScore);
            Assert.Equal(["T1048.003", "T1048", "T1571"], rule.Techniques);
            Assert.Null(rule.Transport);
        });
    }
}
