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
///                "exemptions": [ { "comment": "our resolver answers on 5353", "destination": "10.0.0.53/32", "ports": [5353] } ] } ] }
/// </code>
/// <c>transport</c>, <c>description</c>, <c>reference</c>, <c>riskScore</c>, <c>techniques</c> and <c>exemptions</c> are
/// optional; an exemption needs a <c>comment</c> and at least one of <c>source</c>, <c>destination</c> (address or CIDR) and
/// <c>ports</c>. Comments and trailing commas are
/// allowed; unknown properties are errors (a misspelt <c>port</c> must not silently give a rule without ports).
/// </summary>
public static class RuleSetJson
{
    /// <summary>Reads a rule set from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The JSON.</param>
    /// <returns>The rule set.</returns>
    /// <exception cref="ConfigurationFormatException">The JSON is invalid or describes an invalid rule; the message has the JSON path.</exception>
    public static RuleSet Parse(ReadOnlySpan<byte> utf8Json)
    {
        RuleFileDto? file;
        try
        {
            file = JsonSerializer.Deserialize(utf8Json, RuleJsonContext.Default.RuleFileDto);
        }
        catch (JsonException e)
        {
            throw ConfigurationJson.FromJsonException("rule file", e);
        }
        catch (InvalidOperationException e)
        {
            throw ConfigurationJson.FromInvalidText("rule file", e);
        }

        return Map(file);
    }

    /// <summary>Reads a rule set from a stream of UTF-8 JSON.</summary>
    /// <param name="utf8Json">The stream.</param>
    /// <returns>The rule set.</returns>
    /// <exception cref="ConfigurationFormatException">The JSON is invalid or describes an invalid rule; the message has the JSON path.</exception>
    public static RuleSet Read(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        RuleFileDto? file;
        try
        {
            file = JsonSerializer.Deserialize(utf8Json, RuleJsonContext.Default.RuleFileDto);
        }
        catch (JsonException e)
        {
            throw ConfigurationJson.FromJsonException("rule file", e);
        }
        catch (InvalidOperationException e)
        {
            throw ConfigurationJson.FromInvalidText("rule file", e);
        }

        return Map(file);
    }

    /// <summary>Reads a rule file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The rule set.</returns>
    /// <exception cref="ConfigurationFormatException">The JSON is invalid or describes an invalid rule; the message has the file and JSON path.</exception>
    public static RuleSet Load(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return Read(stream);
        }
        catch (ConfigurationFormatException e)
        {
            throw new ConfigurationFormatException($"{path}: {e.Message}", e.JsonPath, e.LineNumber, e.InnerException);
        }
    }

    /// <summary>Writes a rule set as indented UTF-8 JSON that <see cref="Read(Stream)"/> reads back to an equal rule set.</summary>
    /// <param name="rules">The rule set.</param>
    /// <param name="utf8Json">The destination.</param>
    public static void Write(RuleSet rules, Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(rules);
        JsonSerializer.Serialize(utf8Json, ToDto(rules), RuleJsonContext.Default.RuleFileDto);
    }

    /// <summary>Returns a rule set as indented JSON text.</summary>
    /// <param name="rules">The rule set.</param>
    /// <returns>The JSON.</returns>
    public static string ToJson(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return JsonSerializer.Serialize(ToDto(rules), RuleJsonContext.Default.RuleFileDto);
    }

    private static RuleSet Map(RuleFileDto? file)
    {
        if (file?.Rules is null)
        {
            throw new ConfigurationFormatException("Invalid rule file at $.rules: a rule file is an object with a \"rules\" array.", "$.rules");
        }

        if (file.Rules.Count == 0)
        {
            throw new ConfigurationFormatException("Invalid rule file at $.rules: the array holds no rule.", "$.rules");
        }

        var rules = new List<DetectionRule>(file.Rules.Count);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < file.Rules.Count; i++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"$.rules[{i}]");
            var rule = MapRule(file.Rules[i], at);
            if (!ids.Add(rule.Id))
            {
                throw Error($"{at}.id", $"the id '{TextEscaper.Escape(rule.Id)}' is used by an earlier rule; ids must be unique");
            }

            rules.Add(rule);
        }

        return new RuleSet(rules);
    }

    private static DetectionRule MapRule(RuleDto? dto, string at)
    {
        if (dto is null)
        {
            throw Error(at, "a rule is an object, not null");
        }

        if (string.IsNullOrWhiteSpace(dto.Id))
        {
            throw Error($"{at}.id", "a rule needs a non-blank \"id\"");
        }

        if (string.IsNullOrWhiteSpace(dto.Name))
        {
            throw Error($"{at}.name", $"rule '{TextEscaper.Escape(dto.Id)}' needs a non-blank \"name\"");
        }

        if (dto.Apps is null || dto.Apps.Count == 0)
        {
            throw Error($"{at}.apps", $"rule '{TextEscaper.Escape(dto.Id)}' needs at least one app name");
        }

        var apps = new HashSet<string>(dto.Apps.Count, AsciiCaseComparer.Instance);
        for (var a = 0; a < dto.Apps.Count; a++)
        {
            if (string.IsNullOrWhiteSpace(dto.Apps[a]))
            {
                throw Error($"{at}.apps[{a}]", $"rule '{TextEscaper.Escape(dto.Id)}' has a blank app name");
            }

            if (!apps.Add(dto.Apps[a]!))
            {
                throw Error($"{at}.apps[{a}]", $"rule '{TextEscaper.Escape(dto.Id)}' lists the app '{TextEscaper.Escape(dto.Apps[a])}' twice");
            }
        }

        var ports = ConfigurationJson.ParsePorts(dto.Ports, $"{at}.ports", $"rule '{TextEscaper.Escape(dto.Id)}'");
        var transport = ConfigurationJson.ParseTransport(dto.Transport, $"{at}.transport", $"rule '{TextEscaper.Escape(dto.Id)}'", "rule file");

        if (dto.RiskScore is < 0 or > 100)
        {
            throw Error($"{at}.riskScore", $"rule '{TextEscaper.Escape(dto.Id)}' has the risk score {dto.RiskScore}; it must be 0-100");
        }

        var techniques = ImmutableArray<string>.Empty;
        if (dto.Techniques is not null)
        {
            for (var t = 0; t < dto.Techniques.Count; t++)
            {
                if (string.IsNullOrWhiteSpace(dto.Techniques[t]))
                {
                    throw Error($"{at}.techniques[{t}]", $"rule '{TextEscaper.Escape(dto.Id)}' has a blank technique id");
                }
            }

            techniques = [.. dto.Techniques!];
        }

        var owner = $"rule '{TextEscaper.Escape(dto.Id)}'";
        var exemptions = ImmutableArray.CreateBuilder<RuleExemption>(dto.Exemptions?.Count ?? 0);
        for (var e = 0; e < (dto.Exemptions?.Count ?? 0); e++)
        {
            exemptions.Add(MapExemption(dto.Exemptions![e], string.Create(CultureInfo.InvariantCulture, $"{at}.exemptions[{e}]"), owner));
        }

        return new DetectionRule(dto.Id, dto.Name, dto.Apps!, ports)
        {
            Transport = transport,
            Description = dto.Description,
            Reference = dto.Reference,
            Exemptions = exemptions.ToImmutable(),
            RiskScore = dto.RiskScore ?? 0,
            Techniques = techniques,
        };
    }

    private static RuleExemption MapExemption(ExemptionDto? dto, string at, string owner)
    {
        if (dto is null)
        {
            throw Error(at, $"{owner} has a null exemption; an exemption is an object");
        }

        if (string.IsNullOrWhiteSpace(dto.Comment))
        {
            throw Error($"{at}.comment", $"{owner} has an exemption without a \"comment\"; say why the traffic is accepted");
        }

        var exemption = new RuleExemption(dto.Comment)
        {
            SourceNetwork = Network(dto.Source, $"{at}.source", owner),
            DestinationNetwork = Network(dto.Destination, $"{at}.destination", owner),
            DestinationPorts = dto.Ports is null ? null : ConfigurationJson.ParsePorts(dto.Ports, $"{at}.ports", $"{owner}'s exemption"),
        };
        return exemption.HasCondition
            ? exemption
            : throw Error(at, $"{owner} has the exemption '{TextEscaper.Escape(dto.Comment)}' with no condition (source, destination, ports); it would switch the rule off");
    }

    private static IPNetworkValue? Network(string? text, string at, string owner)
    {
        if (text is null)
        {
            return null;
        }

        return IPNetworkValue.TryParse(text, out var network)
            ? network
            : throw Error(at, $"{owner} has an exemption with the network '{TextEscaper.Escape(text)}'; use an address or CIDR such as 10.0.0.0/8 or 2001:db8::/32");
    }

    private static ConfigurationFormatException Error(string path, string problem) => ConfigurationJson.Error("rule file", path, problem);

    private static RuleFileDto ToDto(RuleSet rules) => new()
    {
        Rules = rules.Select(rule => (RuleDto?)new RuleDto
        {
            Id = rule.Id,
            Name = rule.Name,
            Apps = [.. rule.Apps],
            Ports = ToJson(rule.ExpectedPorts),
            Transport = rule.Transport?.ToName(),
            Description = rule.Description,
            Reference = rule.Reference,
            RiskScore = rule.RiskScore,
            Techniques = rule.Techniques.IsEmpty ? null : [.. rule.Techniques],
            Exemptions = rule.Exemptions.IsEmpty ? null : rule.Exemptions.Select(e => (ExemptionDto?)new ExemptionDto
            {
                Comment = e.Comment,
                Source = e.SourceNetwork?.ToString(),
                Destination = e.DestinationNetwork?.ToString(),
                Ports = e.DestinationPorts is null ? null : ToJson(e.DestinationPorts),
            }).ToList(),
        }).ToList(),
    };

    private static List<JsonElement> ToJson(PortSet ports) => ports.Ranges.Select(r => r.First == r.Last
        ? JsonSerializer.SerializeToElement(r.First, RuleJsonContext.Default.Int32)
        : JsonSerializer.SerializeToElement(r.ToString(), RuleJsonContext.Default.String)).ToList();
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class RuleFileDto
{
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
