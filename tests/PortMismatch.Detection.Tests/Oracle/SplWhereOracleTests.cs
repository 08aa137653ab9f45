namespace PortMismatch.Detection.Tests.Oracle;

/// <summary>The oracle itself must be right before it can judge the library.</summary>
public sealed class SplWhereOracleTests
{
    [Fact]
    public void Or_binds_tighter_than_implicit_and_as_in_the_search_command()
    {
        // a=x b=y OR c=z  ==  a=x AND (b=y OR c=z)
        var oracle = new SplWhereOracle("All_Traffic.app=dns All_Traffic.dest_port=1 OR All_Traffic.dest_port=2");
        Assert.True(oracle.IsSelected(["dns"], 2));
        Assert.False(oracle.IsSelected(["http"], 2));
    }

    [Fact]
    public void Not_of_a_comparison_on_an_absent_value_is_true()
    {
        var oracle = new SplWhereOracle("NOT All_Traffic.app=dns");
        Assert.True(oracle.IsSelected([], null));
    }

    [Fact]
    public void Malformed_clauses_are_refused()
    {
        Assert.Throws<FormatException>(() => new SplWhereOracle("(All_Traffic.app=dns"));
        Assert.Throws<FormatException>(() => new SplWhereOracle("All_Traffic.app"));
    }

    [Theory]
    [InlineData("dns", 53, false)]
    [InlineData("DNS", 5353, true)]
    [InlineData("ssl", 443, false)]
    [InlineData("ssl", 4444, true)]
    [InlineData("dns-base", 4444, false)]
    public void Escu_clause_reads_as_documented(string app, int port, bool selected)
        => Assert.Equal(selected, SplWhereOracle.Escu.IsSelected([app], port));
}
