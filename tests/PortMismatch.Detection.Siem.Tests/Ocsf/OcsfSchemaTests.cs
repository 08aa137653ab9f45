using System.Text.Json.Nodes;
using PortMismatch.Detection.Siem.Tests.Support;

namespace PortMismatch.Detection.Siem.Tests.Ocsf;

/// <summary>The writer's documents against the generated OCSF 1.8.0 Detection Finding schema (corpus).</summary>
public sealed class OcsfSchemaTests
{
    private static readonly DetectionRule Ssl = RuleSet.Escu.Rules.Single(r => r.Id == "escu-ssl");

    private static MismatchRow SslRow() => new(
        IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("203.0.113.66"), "ssl", 4444, 18, 1_732_608_341_123_456, 1_732_640_101_654_321, Ssl, [Transport.Tcp]);

    [Fact]
    public void Every_document_of_2000_seeded_random_rows_is_valid()
    {
        const int Seed = 190_001;
        var random = new RandomRows(Seed);
        var rows = Enumerable.Range(0, 2000).Select(_ => random.Next()).ToList();
        var documents = OcsfSchema.Documents(rows);
        for (var i = 0; i < rows.Count; i++)
        {
            var errors = OcsfSchema.Errors(documents[i]);
            Assert.True(errors.Count == 0, $"seed {Seed}, row {i} ({rows[i]}): {string.Join("; ", errors)}\n{documents[i].ToJsonString()}");
        }
    }

    [Theory]
    [InlineData("activity_id")]
    [InlineData("category_uid")]
    [InlineData("class_uid")]
    [InlineData("type_uid")]
    [InlineData("severity_id")]
    [InlineData("time")]
    [InlineData("metadata")]
    [InlineData("finding_info")]
    [InlineData("metadata.product")]
    [InlineData("metadata.version")]
    [InlineData("finding_info.uid")]
    [InlineData("finding_info.analytic.type_id")]
    [InlineData("evidences.0.connection_info.direction_id")]
    public void A_document_without_a_required_attribute_is_invalid(string path)
    {
        var document = OcsfSchema.Document(SslRow());
        Assert.Empty(OcsfSchema.Errors(document));
        var parts = path.Split('.');
        JsonNode parent = document;
        foreach (var part in parts[..^1])
        {
            parent = int.TryParse(part, out var index) ? parent[index]! : parent[part]!;
        }

        Assert.True(parent.AsObject().Remove(parts[^1]), $"{path} was not in the document");
        Assert.NotEmpty(OcsfSchema.Errors(document));
    }

    [Theory]
    [InlineData("class_uid", 2003)]
    [InlineData("category_uid", 1)]
    [InlineData("type_uid", 200404)]
    [InlineData("activity_id", 7)]
    public void A_document_with_a_wrong_constant_is_invalid(string name, int value)
    {
        var document = OcsfSchema.Document(SslRow());
        document[name] = value;
        Assert.NotEmpty(OcsfSchema.Errors(document));
    }

    [Fact]
    public void An_attribute_the_class_does_not_have_is_invalid()
    {
        // The generator's objects forbid other attributes: the *_dt datetime-profile attributes are why the exact
        // microseconds are in unmapped.
        var document = OcsfSchema.Document(SslRow());
        document["time_dt"] = "2024-11-26T17:01:41.654321Z";
        Assert.NotEmpty(OcsfSchema.Errors(document));
    }
}
