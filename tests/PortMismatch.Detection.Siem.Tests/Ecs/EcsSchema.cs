using System.Globalization;
using System.Net;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace PortMismatch.Detection.Siem.Tests.Ecs;

/// <summary>
/// ECS 9.4.0 as its generated/ecs/ecs_flat.yml states it (parsed with YamlDotNet): each field's type, whether it takes an
/// array (<c>normalize: array</c>), its allowed values and, for <c>event.category</c>, the event types each category
/// expects; and a check of a JSON document against it.
/// </summary>
internal sealed class EcsSchema
{
    private static readonly Lazy<EcsSchema> Loaded = new(() => new EcsSchema(Path.Combine(Repository.CorpusOrSkip("ecs"), "generated", "ecs", "ecs_flat.yml")));

    private readonly Dictionary<string, Field> _fields = new(StringComparer.Ordinal);
    private readonly HashSet<string> _prefixes = new(StringComparer.Ordinal);

    private EcsSchema(string path)
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        foreach (var (key, value) in root.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            var node = (YamlMappingNode)value;
            var normalize = Sequence(node, "normalize").Select(n => ((YamlScalarNode)n).Value!).ToHashSet(StringComparer.Ordinal);
            var allowed = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            foreach (var entry in Sequence(node, "allowed_values").Cast<YamlMappingNode>())
            {
                allowed[Scalar(entry, "name")!] = Sequence(entry, "expected_event_types").Select(n => ((YamlScalarNode)n).Value!).ToHashSet(StringComparer.Ordinal);
            }

            _fields[name] = new Field(name, Scalar(node, "type")!, normalize.Contains("array"), allowed.Count == 0 ? null : allowed, Scalar(node, "required") == "true");
            for (var dot = name.IndexOf('.', StringComparison.Ordinal); dot > 0; dot = name.IndexOf('.', dot + 1))
            {
                _prefixes.Add(name[..dot]);
            }
        }
    }

    /// <summary>Gets the schema, or skips the test when the ECS corpus is not there.</summary>
    public static EcsSchema Instance => Loaded.Value;

    /// <summary>Gets the number of fields.</summary>
    public int FieldCount => _fields.Count;

    /// <summary>Gets a field by its flat name, or null.</summary>
    public Field? Find(string name) => _fields.GetValueOrDefault(name);

    /// <summary>Whether a name is an ECS field or the parent of one (a field set such as <c>event</c> or <c>threat.technique</c>).</summary>
    public bool IsFieldOrParent(string name) => _fields.ContainsKey(name) || _prefixes.Contains(name);

    /// <summary>
    /// The ways a document breaks the schema: a field that ECS does not define (outside <paramref name="customPrefix"/>),
    /// a value of the wrong JSON type for the field's type, an array where ECS does not say <c>normalize: array</c> (an
    /// array of objects counts as one for every field below it), a value not among the allowed values, an event type the
    /// document's categories do not expect, a required field missing. Empty when it conforms.
    /// </summary>
    public List<string> Violations(JsonElement document, string customPrefix)
    {
        var violations = new List<string>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        if (document.ValueKind != JsonValueKind.Object)
        {
            violations.Add("the document is not a JSON object");
            return violations;
        }

        foreach (var property in document.EnumerateObject())
        {
            Walk(property.Value, property.Name, inObjectArray: false);
        }

        foreach (var required in _fields.Values.Where(f => f.Required))
        {
            if (!present.Contains(required.Name))
            {
                violations.Add($"{required.Name}: required by ECS and missing");
            }
        }

        CheckEventTypesAgainstCategories(document, violations);
        return violations;

        void Walk(JsonElement value, string path, bool inObjectArray)
        {
            if (path == customPrefix)
            {
                return;
            }

            if (_fields.TryGetValue(path, out var field) && field.Type is not ("object" or "nested" or "flattened"))
            {
                present.Add(path);
                CheckLeaf(field, value, inObjectArray, violations);
                return;
            }

            if (!IsFieldOrParent(path))
            {
                violations.Add($"{path}: not an ECS field");
                return;
            }

            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in value.EnumerateObject())
                    {
                        Walk(property.Value, $"{path}.{property.Name}", inObjectArray);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in value.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.Object)
                        {
                            violations.Add($"{path}: a field set holds {item.ValueKind}, not an object");
                            continue;
                        }

                        foreach (var property in item.EnumerateObject())
                        {
                            Walk(property.Value, $"{path}.{property.Name}", inObjectArray: true);
                        }
                    }

                    break;
                default:
                    violations.Add($"{path}: a field set holds the value {value.GetRawText()}");
                    break;
            }
        }
    }

    private static void CheckLeaf(Field field, JsonElement value, bool inObjectArray, List<string> violations)
    {
        if (value.ValueKind == JsonValueKind.Array || inObjectArray)
        {
            if (!field.IsArray)
            {
                violations.Add($"{field.Name}: holds several values, but ECS does not normalize it to an array");
            }

            if (value.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in value.EnumerateArray())
                {
                    CheckValue(field, item, violations);
                }

                return;
            }
        }

        CheckValue(field, value, violations);
    }

    private static void CheckValue(Field field, JsonElement value, List<string> violations)
    {
        var ok = field.Type switch
        {
            "keyword" or "constant_keyword" or "wildcard" or "match_only_text" or "text" => value.ValueKind == JsonValueKind.String,
            "ip" => value.ValueKind == JsonValueKind.String && IPAddress.TryParse(value.GetString(), out _),
            "date" => value.ValueKind == JsonValueKind.String && IsIsoDate(value.GetString()!),
            "long" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _),
            "float" or "double" or "scaled_float" => value.ValueKind == JsonValueKind.Number,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            _ => false,
        };
        if (!ok)
        {
            violations.Add($"{field.Name}: {value.GetRawText()} is not a value of ECS type {field.Type}");
            return;
        }

        if (field.AllowedValues is { } allowed && !allowed.ContainsKey(value.GetString()!))
        {
            violations.Add($"{field.Name}: '{value.GetString()}' is not one of its allowed values ({string.Join(", ", allowed.Keys)})");
        }
    }

    private void CheckEventTypesAgainstCategories(JsonElement document, List<string> violations)
    {
        if (!document.TryGetProperty("event", out var @event) || @event.ValueKind != JsonValueKind.Object
            || !@event.TryGetProperty("category", out var categories) || !@event.TryGetProperty("type", out var types)
            || categories.ValueKind != JsonValueKind.Array || types.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var expected = _fields["event.category"].AllowedValues!;
        foreach (var category in categories.EnumerateArray())
        {
            if (category.ValueKind == JsonValueKind.String && expected.TryGetValue(category.GetString()!, out var typesOfCategory))
            {
                foreach (var type in types.EnumerateArray())
                {
                    if (type.ValueKind == JsonValueKind.String && !typesOfCategory.Contains(type.GetString()!))
                    {
                        violations.Add($"event.type: '{type.GetString()}' is not an event type that category '{category.GetString()}' expects ({string.Join(", ", typesOfCategory)})");
                    }
                }
            }
        }
    }

    /// <summary>ISO 8601 with a date, a time and a zone (Elasticsearch's strict_date_optional_time with an offset).</summary>
    private static bool IsIsoDate(string text)
        => text.Length >= 20
            && text[10] == 'T'
            && (text.EndsWith('Z') || text[^6] is '+' or '-')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _);

    private static IEnumerable<YamlNode> Sequence(YamlMappingNode node, string key)
        => node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode sequence ? sequence.Children : [];

    private static string? Scalar(YamlMappingNode node, string key)
        => node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

    /// <summary>One field of ecs_flat.yml.</summary>
    internal sealed record Field(string Name, string Type, bool IsArray, Dictionary<string, HashSet<string>>? AllowedValues, bool Required);
}
