using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// Reads and writes rule files. The format:
/// <code>
/// { "rules": [ { "id": "escu-dns", "name": "DNS off 53", "apps": ["dns"], "ports": [53, "5300-5310"],
///                "transport": "udp", "description": "...", "reference": "RFC 1035", "riskScore": 25, "techniques": ["T1571"],
///                "exemptions": [ { "comment": "our resolver answers on 5353", "destination": "10.0.0.53/32", "ports": [5353] } ],
///                "upgradeOf": ["smtp"] } ] }
/// </code>
/// <c>transport</c>, <c>description</c>, <c>reference</c>, <c>riskScore</c>, <c>techniques</c>, <c>exemptions</c> and
/// <c>upgradeOf</c> (<see cref="DetectionRule.UpgradeOf"/>: the apps this rule's apps may be an upgrade of or carried inside) are
/// optional; an exemption needs a <c>comment</c> and at least one of <c>source</c>, <c>destination</c> (address or CIDR) and
/// <c>ports</c>. Comments and trailing commas are allowed; unknown keys are errors that list the valid keys (a misspelt
/// <c>port</c> must not silently give a rule without ports). The file may start with <c>"$schema"</c> (read and ignored)
/// so that editors complete and validate it against <c>docs/schemas/rules.schema.json</c>; see <see cref="SchemaUrl"/>.
/// </summary>
public static class RuleSetJson
{
    /// <summary>The published JSON Schema of rule files, which <see cref="Write"/> puts in <c>"$schema"</c>.</summary>
    public const string SchemaUrl = "https://raw.githubusercontent.com/portmismatch/PortMismatch.Detection/main/docs/schemas/rules.schema.json";

    /// <summary>Reads a rule set from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The JSON.</param>
    /// <returns>The rule set.</returns>
    /// <exception cref="ConfigurationFormatException">The JSON is invalid or describes an invalid rule; the message has the line and column, the exception the JSON path.</exception>
    public static RuleSet Parse(ReadOnlySpan<byte> utf8Json) => Read(utf8Json, null);

    /// <summary>Reads a rule set from a stream of UTF-8 JSON.</summary>
    /// <param name="utf8Json">The stream.</param>
    /// <returns>The rule set.</returns>
    /// <exception cref="ConfigurationFormatException">The JSON is invalid or describes an invalid rule; the message has the line and column, the exception the JSON path.</exception>
    public static RuleSet Read(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        return Read(ConfigurationDocument.ReadAll(utf8Json), null);
    }

    /// <summary>Reads a rule file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The rule set.</returns>
    /// <exception cref="ConfigurationFormatException">The JSON is invalid or describes an invalid rule; the message starts with the file, line and column.</exception>
    public static RuleSet Load(string path) => Read(File.ReadAllBytes(path), path);

    /// <summary>
    /// Writes a rule set as an indented rule file, with <c>"$schema"</c> set to <see cref="SchemaUrl"/>, that
    /// <see cref="Read(Stream)"/> reads back to an equal rule set.
    /// </summary>
    /// <param name="rules">The rule set.</param>
    /// <param name="utf8Json">The destination.</param>
    public static void Write(RuleSet rules, Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(rules);
        JsonSerializer.Serialize(utf8Json, ToDto(rules), RuleJsonContext.Default.RuleFileDto);
    }

    /// <summary>Returns a rule set as the indented text of a rule file, as <see cref="Write"/> writes it.</summary>
    /// <param name="rules">The rule set.</param>
    /// <returns>The JSON.</returns>
    public static string ToJson(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return JsonSerializer.Serialize(ToDto(rules), RuleJsonContext.Default.RuleFileDto);
    }

    private static RuleSet Read(ReadOnlySpan<byte> utf8Json, string? source)
        => ConfigurationJson.Read(utf8Json, source, ConfigurationShape.RuleFile, RuleJsonContext.Default.RuleFileDto, Map);

    private static RuleSet Map(RuleFileDto? file)
    {
        if (file?.Rules is null)
        {
            throw ConfigurationJson.Error("$.rules", $"the rule file has no \"rules\"; expected {ConfigurationShape.RuleFile.Form}");
        }

        if (file.Rules.Count == 0)
        {
            throw ConfigurationJson.Error("$.rules", "\"rules\" is empty; expected at least one rule object");
        }

        var rules = new List<DetectionRule>(file.Rules.Count);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < file.Rules.Count; i++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"$.rules[{i}]");
            var rule = MapRule(file.Rules[i], at, i);
            if (!ids.TryAdd(rule.Id, i))
            {
                throw ConfigurationJson.Error($"{at}.id", string.Create(CultureInfo.InvariantCulture, $"\"id\" of rules[{i}] is \"{TextEscaper.Escape(rule.Id)}\", the id of rules[{ids[rule.Id]}] already; expected a unique id"));
            }

            rules.Add(rule);
        }

        return new RuleSet(rules);
    }

    private static DetectionRule MapRule(RuleDto? dto, string at, int index)
    {
        if (dto is null)
        {
            throw ConfigurationJson.Error(at, $"rules[{index}] is null; expected {ConfigurationShape.Rule.Form}");
        }

        if (string.IsNullOrWhiteSpace(dto.Id))
        {
            throw ConfigurationJson.Error($"{at}.id", $"\"id\" of rules[{index}] is {(dto.Id is null ? "missing" : "blank")}; expected a non-blank string");
        }

        var owner = $"rule \"{TextEscaper.Escape(dto.Id)}\"";
        if (string.IsNullOrWhiteSpace(dto.Name))
        {
            throw ConfigurationJson.Error($"{at}.name", $"\"name\" of {owner} is {(dto.Name is null ? "missing" : "blank")}; expected a non-blank string");
        }

        if (dto.Apps is null || dto.Apps.Count == 0)
        {
            throw ConfigurationJson.Error($"{at}.apps", $"\"apps\" of {owner} is {(dto.Apps is null ? "missing" : "empty")}; expected at least one app name");
        }

        var apps = new HashSet<string>(dto.Apps.Count, AsciiCaseComparer.Instance);
        for (var a = 0; a < dto.Apps.Count; a++)
        {
            if (string.IsNullOrWhiteSpace(dto.Apps[a]))
            {
                throw ConfigurationJson.Error($"{at}.apps[{a}]", $"item {a + 1} of \"apps\" of {owner} is blank; expected an app name");
            }

            if (!apps.Add(dto.Apps[a]!))
            {
                throw ConfigurationJson.Error($"{at}.apps[{a}]", $"item {a + 1} of \"apps\" of {owner} repeats \"{TextEscaper.Escape(dto.Apps[a])}\"; expected each app once (names are compared ignoring ASCII case)");
            }
        }

        var ports = ConfigurationJson.ParsePorts(dto.Ports, $"{at}.ports", owner);
        var transport = ConfigurationJson.ParseTransport(dto.Transport, $"{at}.transport", owner);

        if (dto.RiskScore is < 0 or > 100)
        {
            throw ConfigurationJson.Error($"{at}.riskScore", string.Create(CultureInfo.InvariantCulture, $"\"riskScore\" of {owner} is {dto.RiskScore}; expected an integer 0-100"));
        }

        var techniques = ImmutableArray<string>.Empty;
        if (dto.Techniques is not null)
        {
            for (var t = 0; t < dto.Techniques.Count; t++)
            {
                if (string.IsNullOrWhiteSpace(dto.Techniques[t]))
                {
                    throw ConfigurationJson.Error($"{at}.techniques[{t}]", $"item {t + 1} of \"techniques\" of {owner} is blank; expected an ATT&CK technique id such as \"T1571\"");
                }
            }

            techniques = [.. dto.Techniques!];
        }

        var upgradeOf = MapUpgradeOf(dto, at, owner);
        var exemptions = ImmutableArray.CreateBuilder<RuleExemption>(dto.Exemptions?.Count ?? 0);
        for (var e = 0; e < (dto.Exemptions?.Count ?? 0); e++)
        {
            exemptions.Add(MapExemption(dto.Exemptions![e], string.Create(CultureInfo.InvariantCulture, $"{at}.exemptions[{e}]"), e, owner));
        }

        return new DetectionRule(dto.Id, dto.Name, dto.Apps!, ports)
        {
            Transport = transport,
            Description = dto.Description,
            Reference = dto.Reference,
            Exemptions = exemptions.ToImmutable(),
            RiskScore = dto.RiskScore ?? 0,
            Techniques = techniques,
            UpgradeOf = upgradeOf,
        };
    }

    private static ImmutableArray<string> MapUpgradeOf(RuleDto dto, string at, string owner)
    {
        if (dto.UpgradeOf is null)
        {
            return ImmutableArray<string>.Empty;
        }

        var seen = new HashSet<string>(AsciiCaseComparer.Instance);
        for (var u = 0; u < dto.UpgradeOf.Count; u++)
        {
            var app = dto.UpgradeOf[u];
            var item = string.Create(CultureInfo.InvariantCulture, $"{at}.upgradeOf[{u}]");
            if (string.IsNullOrWhiteSpace(app))
            {
                throw ConfigurationJson.Error(item, $"item {u + 1} of \"upgradeOf\" of {owner} is blank; expected an app name such as \"smtp\"");
            }

            if (!seen.Add(app))
            {
                throw ConfigurationJson.Error(item, $"item {u + 1} of \"upgradeOf\" of {owner} repeats \"{TextEscaper.Escape(app)}\"; expected each app once (names are compared ignoring ASCII case)");
            }

            foreach (var own in dto.Apps!)
            {
                if (DetectionRule.AsciiEqualsIgnoreCase(own!, app))
                {
                    throw ConfigurationJson.Error(item, $"item {u + 1} of \"upgradeOf\" of {owner} is \"{TextEscaper.Escape(app)}\", one of the rule's own apps; expected another protocol's app (a protocol is no upgrade of itself)");
                }
            }
        }

        return [.. dto.UpgradeOf!];
    }

    private static RuleExemption MapExemption(ExemptionDto? dto, string at, int index, string rule)
    {
        if (dto is null)
        {
            throw ConfigurationJson.Error(at, $"exemptions[{index}] of {rule} is null; expected {ConfigurationShape.Exemption.Form}");
        }

        if (string.IsNullOrWhiteSpace(dto.Comment))
        {
            throw ConfigurationJson.Error($"{at}.comment", $"\"comment\" of exemptions[{index}] of {rule} is {(dto.Comment is null ? "missing" : "blank")}; say why the traffic is accepted");
        }

        var owner = $"exemption \"{TextEscaper.Escape(dto.Comment)}\" of {rule}";
        var exemption = new RuleExemption(dto.Comment)
        {
            SourceNetwork = ConfigurationJson.ParseNetwork(dto.Source, "source", $"{at}.source", owner),
            DestinationNetwork = ConfigurationJson.ParseNetwork(dto.Destination, "destination", $"{at}.destination", owner),
            DestinationPorts = dto.Ports is null ? null : ConfigurationJson.ParsePorts(dto.Ports, $"{at}.ports", owner),
        };
        return exemption.HasCondition
            ? exemption
            : throw ConfigurationJson.Error(at, $"{owner} has no condition (source, destination, ports); it would switch the rule off");
    }

    private static RuleFileDto ToDto(RuleSet rules) => new()
    {
        Schema = SchemaUrl,
        Rules = rules.Select(rule => (RuleDto?)new RuleDto
        {
            Id = rule.Id,
            Name = rule.Name,
            Apps = [.. rule.Apps],
            Ports = ToJsonPorts(rule.ExpectedPorts),
            Transport = rule.Transport?.ToName(),
            Description = rule.Description,
            Reference = rule.Reference,
            RiskScore = rule.RiskScore,
            Techniques = rule.Techniques.IsEmpty ? null : [.. rule.Techniques],
            UpgradeOf = rule.UpgradeOf.IsEmpty ? null : [.. rule.UpgradeOf],
            Exemptions = rule.Exemptions.IsEmpty ? null : rule.Exemptions.Select(e => (ExemptionDto?)new ExemptionDto
            {
                Comment = e.Comment,
                Source = e.SourceNetwork?.ToString(),
                Destination = e.DestinationNetwork?.ToString(),
                Ports = e.DestinationPorts is null ? null : ToJsonPorts(e.DestinationPorts),
            }).ToList(),
        }).ToList(),
    };

    internal static List<JsonElement> ToJsonPorts(PortSet ports) => ports.Ranges.Select(r => r.First == r.Last
        ? JsonSerializer.SerializeToElement(r.First, RuleJsonContext.Default.Int32)
        : JsonSerializer.SerializeToElement(r.ToString(), RuleJsonContext.Default.String)).ToList();
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class RuleFileDto
{
    /// <summary>Gets or sets the schema an editor validates the file with; read and ignored, written as <see cref="RuleSetJson.SchemaUrl"/>.</summary>
    [JsonPropertyName("$schema")]
    public string? Schema { get; set; }

    public List<RuleDto?>? Rules { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class RuleDto
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public List<string?>? Apps { get; set; }

    public List<JsonElement>? Ports { get; set; }

    public string? Transport { get; set; }

    public string? Description { get; set; }

    public string? Reference { get; set; }

    public int? RiskScore { get; set; }

    public List<string?>? Techniques { get; set; }

    public List<ExemptionDto?>? Exemptions { get; set; }

    public List<string?>? UpgradeOf { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class ExemptionDto
{
    public string? Comment { get; set; }

    public string? Source { get; set; }

    public string? Destination { get; set; }

    public List<JsonElement>? Ports { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RuleFileDto))]
[JsonSerializable(typeof(AllowListFileDto))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(string))]
internal sealed partial class RuleJsonContext : JsonSerializerContext;
