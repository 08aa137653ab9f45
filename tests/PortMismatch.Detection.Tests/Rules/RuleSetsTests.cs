namespace PortMismatch.Detection.Tests.Rules;

[Collection(RulePacksCollection.Name)]
public sealed class RuleSetsTests
{
    [Theory]
    [InlineData("escu")]
    [InlineData("ESCU")]
    [InlineData(" extended ")]
    [InlineData("panos-appid")]
    public void Built_in_sets_are_found_by_their_stable_names_ignoring_case(string name)
    {
        var set = RuleSets.Get(name);

        Assert.Same(set, RuleSets.Parse(name));
        Assert.Contains(name.Trim().ToLowerInvariant(), RuleSets.Names);
    }

    [Fact]
    public void The_names_map_to_the_sets_the_rule_set_properties_expose()
    {
        Assert.Same(RuleSet.Escu, RuleSets.Get(RuleSets.EscuName));
        Assert.Same(RuleSet.Extended, RuleSets.Get(RuleSets.ExtendedName));
        Assert.Same(RuleSet.PanOsAppId, RuleSets.Get(RuleSets.PanOsAppIdName));
        Assert.Equal(["escu", "extended", "panos-appid"], RuleSets.Names);
    }

    [Theory]
    [InlineData("extnded")]
    [InlineData("panos")]
    [InlineData("rules.txt")]
    public void An_unknown_name_is_an_error_that_lists_the_known_names(string name)
    {
        var error = Assert.Throws<ConfigurationFormatException>(() => RuleSets.Parse($"escu,{name}"));

        Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("escu, extended, panos-appid", error.Message, StringComparison.Ordinal);
        Assert.False(RuleSets.TryGet(name, out _));
    }

    [Fact]
    public void Sets_combine_in_order()
    {
        var combined = RuleSets.Parse("extended,panos-appid");

        Assert.Equal(RuleSet.Extended.Count + RuleSet.PanOsAppId.Count, combined.Count);
        Assert.Equal(RuleSet.Extended.Rules, combined.Rules.Take(RuleSet.Extended.Count));
        Assert.Equal(RuleSet.PanOsAppId.Rules, combined.Rules.Skip(RuleSet.Extended.Count));
    }

    [Fact]
    public void A_set_given_twice_is_an_error_naming_the_duplicate_rule_id_and_both_items()
    {
        var error = Assert.Throws<ConfigurationFormatException>(() => RuleSets.Parse("escu, extended ,escu"));

        Assert.Contains("'escu-dns'", error.Message, StringComparison.Ordinal);
        Assert.Contains("both 'escu' and 'escu'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_file_combines_with_built_in_sets_and_its_duplicate_ids_are_reported()
    {
        var directory = Directory.CreateTempSubdirectory("rulesets-");
        try
        {
            var mine = Path.Combine(directory.FullName, "mine.json");
            File.WriteAllText(mine, """{ "rules": [ { "id": "our-ssh", "name": "ssh off 2222", "apps": ["ssh"], "ports": [22, 2222] } ] }""");
            var clash = Path.Combine(directory.FullName, "clash.json");
            File.WriteAllText(clash, """{ "rules": [ { "id": "ext-ssh", "name": "ssh", "apps": ["ssh"], "ports": [22] } ] }""");

            var combined = RuleSets.Parse($"escu,{mine}");
            var error = Assert.Throws<ConfigurationFormatException>(() => RuleSets.Parse($"extended,{clash}"));

            Assert.Equal(["escu-dns", "escu-http", "escu-ssl", "escu-smtp", "our-ssh"], combined.Select(r => r.Id));
            Assert.Contains("'ext-ssh' is defined by both 'extended' and", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("escu,")]
    [InlineData("escu,,extended")]
    public void An_empty_item_is_an_error(string selection)
    {
        var error = Assert.Throws<ConfigurationFormatException>(() => RuleSets.Parse(selection));

        Assert.Contains("empty item", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Combine_rejects_duplicate_ids()
    {
        var error = Assert.Throws<ConfigurationFormatException>(() => RuleSets.Combine([RuleSet.Escu, RuleSet.Extended, RuleSet.Escu]));

        Assert.Contains("both 'set 1' and 'set 3'", error.Message, StringComparison.Ordinal);
        Assert.Equal(RuleSet.Escu.Count + RuleSet.Extended.Count, RuleSets.Combine([RuleSet.Escu, RuleSet.Extended]).Count);
    }

    [Fact]
    public void Combining_escu_with_extended_keeps_escu_verdicts_because_rules_are_ored()
    {
        var combined = new MismatchEvaluator(RuleSets.Parse("escu,extended"));

        Assert.True(combined.TryMatch("dns"u8, 5353, Transport.Udp, out var rule));
        Assert.Equal("escu-dns", combined.Rules[rule].Id);
        Assert.False(new MismatchEvaluator(RuleSet.Extended).TryMatch("dns"u8, 5353, Transport.Udp, out _));
    }
}
