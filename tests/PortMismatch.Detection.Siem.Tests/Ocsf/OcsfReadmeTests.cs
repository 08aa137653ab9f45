using System.Text.Json.Nodes;

namespace PortMismatch.Detection.Siem.Tests.Ocsf;

/// <summary>The example document of the README's OCSF section is what the writer writes for its row, and valid.</summary>
public sealed class OcsfReadmeTests
{
    [Fact]
    public void The_readme_example_is_the_writers_document_for_the_samples_ssl_row()
    {
        var readme = File.ReadAllText(Repository.PathOf("src", "PortMismatch.Detection.Siem", "README.md"));
        var section = readme[readme.IndexOf("## OCSF Detection Finding", StringComparison.Ordinal)..];
        var start = section.IndexOf("```json\n", StringComparison.Ordinal) + "```json\n".Length;
        var example = JsonNode.Parse(section[start..section.IndexOf("\n```", start, StringComparison.Ordinal)])!;

        var row = new MismatchRow(
            IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("203.0.113.66"), "ssl", 4444, 18, 1_732_608_341_830_000, 1_732_640_101_000_000,
            RuleSet.Escu.Rules.Single(r => r.Id == "escu-ssl"), [Transport.Tcp]);
        var written = OcsfSchema.Document(row);
        Assert.True(JsonNode.DeepEquals(written, example), $"the README's example differs from the writer's document:\n{written.ToJsonString()}");
        Assert.Empty(OcsfSchema.Errors(example));
    }
}
