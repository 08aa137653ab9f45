namespace PortMismatch.Detection;

/// <summary>
/// The keys of one kind of object in a rule or allow-list file and the JSON each takes: what the reader checks before the
/// values are mapped, so that an unknown key or a wrong type is refused at its line and column with the valid keys listed.
/// The JSON Schemas in <c>docs/schemas</c> describe the same objects; a test keeps the three (these shapes, the schemas and
/// the serializer's contracts) equal.
/// </summary>
internal sealed class ConfigurationShape
{
    public static readonly ConfigurationShape Exemption = new("exemption", "an exemption object { \"comment\": ..., \"source\"/\"destination\"/\"ports\": ... }",
    [
        ("comment", ValueShape.String), ("source", ValueShape.String), ("destination", ValueShape.String), ("ports", ValueShape.Ports),
    ]);

    public static readonly ConfigurationShape Rule = new("rule", "a rule object { \"id\": ..., \"name\": ..., \"apps\": [...], \"ports\": [...] }",
    [
        ("id", ValueShape.String), ("name", ValueShape.String), ("apps", ValueShape.Strings), ("ports", ValueShape.Ports),
        ("transport", ValueShape.String), ("description", ValueShape.String), ("reference", ValueShape.String),
        ("riskScore", ValueShape.Integer), ("techniques", ValueShape.Strings), ("exemptions", ValueShape.Objects(Exemption)),
        ("upgradeOf", ValueShape.Strings),
    ]);

    public static readonly ConfigurationShape RuleFile = new("rule file", "a rule file object { \"rules\": [ ... ] }",
    [
        ("$schema", ValueShape.String), ("rules", ValueShape.Objects(Rule)),
    ]);

    public static readonly ConfigurationShape AllowEntry = new("allow-list entry", "an allow-list entry object { \"comment\": ..., \"app\"/\"ports\"/\"transport\"/\"source\"/\"destination\": ... }",
    [
        ("comment", ValueShape.String), ("app", ValueShape.String), ("ports", ValueShape.Ports), ("transport", ValueShape.String),
        ("source", ValueShape.String), ("destination", ValueShape.String),
    ]);

    public static readonly ConfigurationShape AllowListFile = new("allow-list file", "an allow-list file object { \"allow\": [ ... ] }",
    [
        ("$schema", ValueShape.String), ("allow", ValueShape.Objects(AllowEntry)),
    ]);

    private ConfigurationShape(string name, string form, (string Key, ValueShape Value)[] keys)
    {
        Name = name;
        Form = form;
        Keys = keys;
        ValidKeys = string.Join(", ", keys.Select(k => k.Key));
    }

    /// <summary>Gets what the object is called in messages: "rule", "exemption".</summary>
    public string Name { get; }

    /// <summary>Gets the expected form, for a value that is not an object.</summary>
    public string Form { get; }

    public (string Key, ValueShape Value)[] Keys { get; }

    /// <summary>Gets the keys as a message lists them: "id, name, apps, ...".</summary>
    public string ValidKeys { get; }
}

/// <summary>The JSON a key takes.</summary>
internal sealed class ValueShape
{
    public static readonly ValueShape String = new(ValueKind.String, "a string", null);
    public static readonly ValueShape Strings = new(ValueKind.Strings, "an array of strings", null);
    public static readonly ValueShape Ports = new(ValueKind.Ports, "an array of ports, each a number 0-65535 or a string range such as \"8000-8080\"", null);
    public static readonly ValueShape Integer = new(ValueKind.Integer, "an integer 0-100", null);

    private ValueShape(ValueKind kind, string form, ConfigurationShape? item)
    {
        Kind = kind;
        Form = form;
        Item = item;
    }

    public ValueKind Kind { get; }

    /// <summary>Gets the expected form as a message says it: "an array of strings".</summary>
    public string Form { get; }

    /// <summary>Gets the shape of the items of an array of objects.</summary>
    public ConfigurationShape? Item { get; }

    public static ValueShape Objects(ConfigurationShape item) => new(ValueKind.Objects, $"an array of {item.Name} objects", item);
}

internal enum ValueKind
{
    String,
    Strings,
    Ports,
    Integer,
    Objects,
}
