using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Json.Schema;

namespace PortMismatch.Detection.Tests.Configuration;

/// <summary>
/// docs/schemas/rules.schema.json and allowlist.schema.json against the loaders: every shipped and example file is valid
/// under its schema and loads; documents the loader refuses are refused by the schema too; and the schemas, the loader's
/// key checks and the serializer's contracts name the same keys.
/// </summary>
public sealed class ConfigurationSchemaTests
{
    private static readonly Lazy<JsonSchema> Rules = new(() => Schema("rules.schema.json"));
    private static readonly Lazy<JsonSchema> Allow = new(() => Schema("allowlist.schema.json"));
    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static JsonSchema Schema(string name)
        => JsonSchema.FromText(File.ReadAllText(Repository.PathOf("docs", "schemas", name)), new BuildOptions { SchemaRegistry = new SchemaRegistry() });

    private static bool Valid(JsonSchema schema, string json)
    {
        using var document = JsonDocument.Parse(json, Lenient);
        return schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.Flag }).IsValid;
    }

    private static bool Loads(Func<byte[], object> load, string json)
    {
        try
        {
            _ = load(Encoding.UTF8.GetBytes(json));
            return true;
        }
        catch (ConfigurationFormatException)
        {
            return false;
        }
    }

    private static object LoadRules(byte[] json) => RuleSetJson.Parse(json);

    private static object LoadAllow(byte[] json) => AllowListJson.Parse(json);

    public static TheoryData<string> RuleFiles => new()
    {
        "src/PortMismatch.Detection/Rules/Packs/panos-appid.json",
        "samples/rules/custom-rules.json",
    };

    [Theory]
    [MemberData(nameof(RuleFiles))]
    public void Every_shipped_rule_file_is_valid_under_the_schema_and_loads(string file)
    {
        var json = File.ReadAllText(Repository.PathOf(file.Split('/')));
        Assert.True(Valid(Rules.Value, json), $"{file} is not valid under rules.schema.json");
        Assert.NotEmpty(RuleSetJson.Load(Repository.PathOf(file.Split('/'))));
    }

    [Fact]
    public void The_sample_allow_list_is_valid_under_the_schema_and_loads()
    {
        var path = Repository.PathOf("samples", "rules", "allow.json");
        Assert.True(Valid(Allow.Value, File.ReadAllText(path)));
        Assert.Equal(2, AllowListJson.Load(path).Count);
    }

    [Theory]
    [InlineData("escu")]
    [InlineData("extended")]
    [InlineData("panos-appid")]
    public void Every_built_in_set_written_as_a_rule_file_is_valid_under_the_schema(string name)
    {
        var json = RuleSetJson.ToJson(RuleSets.Get(name));
        Assert.True(Valid(Rules.Value, json));
        Assert.Contains($"\"$schema\": \"{RuleSetJson.SchemaUrl}\"", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rules.schema.json")]
    [InlineData("allowlist.schema.json")]
    public void The_schemas_own_examples_are_valid_and_load(string name)
    {
        using var schemaText = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("docs", "schemas", name)));
        var rules = name.StartsWith("rules", StringComparison.Ordinal);
        var examples = schemaText.RootElement.GetProperty("examples").EnumerateArray().Select(e => e.GetRawText()).ToList();
        Assert.NotEmpty(examples);
        foreach (var example in examples)
        {
            Assert.True(Valid(rules ? Rules.Value : Allow.Value, example), example);
            Assert.True(Loads(rules ? LoadRules : LoadAllow, example), example);
        }
    }

    /// <summary>Documents both must accept or both refuse: each refused one breaks one thing the schema can say.</summary>
    public static TheoryData<string, bool> RuleDocuments => new()
    {
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53]}]}""", true },
        { """{"$schema":"./rules.schema.json","rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53,"5300-5310"],"transport":"udp","description":"d","reference":"r","riskScore":100,"techniques":["T1571"],"exemptions":[{"comment":"c","source":"10.0.0.0/8","destination":"2001:db8::/32","ports":[5353]}]}]}""", true },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"prots":[53]}]}""", false },
        { """{"rulez":[]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":"dns","ports":[53]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[70000]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[-1]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":["53-x"]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[true]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":[],"ports":[53]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns","dns"],"ports":[53]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":[" "],"ports":[53]}]}""", false },
        { """{"rules":[{"id":"x","apps":["dns"],"ports":[53]}]}""", false },
        { """{"rules":[{"id":" ","name":"n","apps":["dns"],"ports":[53]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"transport":"sctp"}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"riskScore":101}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"riskScore":"high"}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"riskScore":1.5}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"techniques":[""]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"exemptions":[{"comment":"everything"}]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"exemptions":[{"ports":[1]}]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"exemptions":[{"comment":"c","ports":[1],"port":1}]}]}""", false },
        { """{"rules":[{"id":"x","name":"n","apps":["dns"],"ports":[53],"description":null}]}""", false },
        { """{"rules":[null]}""", false },
        { """{"rules":[]}""", false },
        { """{}""", false },
        { """[]""", false },
    };

    [Theory]
    [MemberData(nameof(RuleDocuments))]
    public void The_rule_schema_and_the_loader_agree(string json, bool valid)
    {
        Assert.Equal(valid, Loads(LoadRules, json));
        Assert.Equal(valid, Valid(Rules.Value, json));
    }

    public static TheoryData<string, bool> AllowDocuments => new()
    {
        { """{"allow":[]}""", true },
        { """{"$schema":"x","allow":[{"comment":"c","app":"dns","ports":[5353,"1-2"],"transport":"udp","source":"10.0.0.0/8","destination":"224.0.0.251"}]}""", true },
        { """{"allow":[{"comment":"c","transport":"other"}]}""", true },
        { """{"allow":[{"comment":"c","prots":[53]}]}""", false },
        { """{"allow":[{"comment":"c","ports":[70000]}]}""", false },
        { """{"allow":[{"comment":"c","ports":53}]}""", false },
        { """{"allow":[{"comment":"c","ports":[]}]}""", false },
        { """{"allow":[{"comment":"c","transport":"icmp"}]}""", false },
        { """{"allow":[{"comment":"c","app":" "}]}""", false },
        { """{"allow":[{"comment":"everything"}]}""", false },
        { """{"allow":[{"app":"dns"}]}""", false },
        { """{"allow":[{"comment":" ","app":"dns"}]}""", false },
        { """{"allow":[null]}""", false },
        { """{"allow":{}}""", false },
        { """{"rules":[]}""", false },
        { """{}""", false },
    };

    [Theory]
    [MemberData(nameof(AllowDocuments))]
    public void The_allow_list_schema_and_the_loader_agree(string json, bool valid)
    {
        Assert.Equal(valid, Loads(LoadAllow, json));
        Assert.Equal(valid, Valid(Allow.Value, json));
    }

    public static TheoryData<string, string> Objects => new()
    {
        { "rules.schema.json", "" },
        { "rules.schema.json", "rule" },
        { "rules.schema.json", "exemption" },
        { "allowlist.schema.json", "" },
        { "allowlist.schema.json", "entry" },
    };

    [Theory]
    [MemberData(nameof(Objects))]
    public void The_schema_the_loaders_key_check_and_the_serializer_contract_name_the_same_keys(string schemaName, string definition)
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("docs", "schemas", schemaName)));
        var node = definition.Length == 0 ? schema.RootElement : schema.RootElement.GetProperty("$defs").GetProperty(definition);
        var schemaKeys = node.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        Assert.False(node.GetProperty("additionalProperties").GetBoolean());

        var (shape, contract) = (schemaName, definition) switch
        {
            ("rules.schema.json", "") => (ConfigurationShape.RuleFile, (JsonTypeInfo)RuleJsonContext.Default.RuleFileDto),
            ("rules.schema.json", "rule") => (ConfigurationShape.Rule, RuleJsonContext.Default.RuleDto),
            ("rules.schema.json", _) => (ConfigurationShape.Exemption, RuleJsonContext.Default.ExemptionDto),
            (_, "") => (ConfigurationShape.AllowListFile, RuleJsonContext.Default.AllowListFileDto),
            _ => (ConfigurationShape.AllowEntry, RuleJsonContext.Default.AllowListEntryDto),
        };
        Assert.Equal(schemaKeys, shape.Keys.Select(k => k.Key));
        Assert.Equal(schemaKeys.Order(StringComparer.Ordinal), contract.Properties.Select(p => p.Name).Order(StringComparer.Ordinal));
    }
}
