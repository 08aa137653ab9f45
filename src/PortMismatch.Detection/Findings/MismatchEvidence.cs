using System.Collections.Immutable;
using System.Text.Json;

namespace PortMismatch.Detection;

/// <summary>
/// What the sensor's other logs say about the flows of one row: a bounded sample (the first distinct values of each field,
/// each with how often it was seen) and the Community IDs of the flows. Built by <see cref="EvidenceJoin"/>; a row without
/// any has <see cref="MismatchRow.Evidence"/> null.
/// </summary>
public sealed class MismatchEvidence
{
    /// <summary>Creates evidence.</summary>
    /// <param name="flows">How many of the row's flows were joined (each has a flow id and broke a rule).</param>
    /// <param name="communityIds">The Community IDs of those flows (field <see cref="EvidenceField.CommunityIdName"/>).</param>
    /// <param name="fields">The fields found in the other logs, in the order first seen.</param>
    public MismatchEvidence(long flows, EvidenceField? communityIds, ImmutableArray<EvidenceField> fields)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(flows);
        Flows = flows;
        CommunityIds = communityIds;
        Fields = fields.IsDefault ? ImmutableArray<EvidenceField>.Empty : fields;
    }

    /// <summary>Gets how many of the row's flows were joined.</summary>
    public long Flows { get; }

    /// <summary>Gets the Community IDs of the joined flows (TCP and UDP flows with both ports), or null when none has one.</summary>
    public EvidenceField? CommunityIds { get; }

    /// <summary>Gets the fields of the other logs (<c>tls.server_name</c>, <c>http.host</c>, ...), in the order first seen.</summary>
    public ImmutableArray<EvidenceField> Fields { get; }

    /// <summary>Gets the field of that name, or null.</summary>
    /// <param name="name">The field name, such as <c>tls.server_name</c>.</param>
    /// <returns>The field, or null when the row has no value of it.</returns>
    public EvidenceField? Find(string name)
    {
        foreach (var field in Fields)
        {
            if (string.Equals(field.Name, name, StringComparison.Ordinal))
            {
                return field;
            }
        }

        return string.Equals(name, EvidenceField.CommunityIdName, StringComparison.Ordinal) ? CommunityIds : null;
    }

    /// <summary>
    /// Writes the evidence as one JSON object (the value of JSON Lines' <c>evidence</c> key):
    /// <c>{"flows":n,"community_id":[{"value":..,"count":..}],"fields":{"tls.server_name":[...],...},"other":{"tls.server_name":n}}</c>,
    /// <c>community_id</c> and <c>other</c> only when there are any.
    /// </summary>
    /// <param name="json">The writer, positioned where a value goes.</param>
    public void WriteJson(Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject();
        json.WriteNumber("flows"u8, Flows);
        if (CommunityIds is { } communityIds)
        {
            WriteValues(json, EvidenceField.CommunityIdName, communityIds);
        }

        json.WriteStartObject("fields"u8);
        foreach (var field in Fields)
        {
            WriteValues(json, field.Name, field);
        }

        json.WriteEndObject();
        var hasOther = CommunityIds is { OtherCount: > 0 };
        foreach (var field in Fields)
        {
            hasOther |= field.OtherCount > 0;
        }

        if (hasOther)
        {
            json.WriteStartObject("other"u8);
            if (CommunityIds is { OtherCount: > 0 } ids)
            {
                json.WriteNumber(EvidenceField.CommunityIdName, ids.OtherCount);
            }

            foreach (var field in Fields)
            {
                if (field.OtherCount > 0)
                {
                    json.WriteNumber(field.Name, field.OtherCount);
                }
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    /// <summary>Gets the first value of a field, or null.</summary>
    /// <param name="name">The field name.</param>
    /// <returns>The value first seen, or null when the row has none.</returns>
    public string? First(string name) => Find(name) is { Values: [var first, ..] } ? first.Value : null;

    private static void WriteValues(Utf8JsonWriter json, string name, EvidenceField field)
    {
        json.WriteStartArray(name);
        foreach (var value in field.Values)
        {
            json.WriteStartObject();
            json.WriteString("value"u8, value.Value);
            json.WriteNumber("count"u8, value.Count);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}

/// <summary>The sample of one evidence field of a row: its first distinct values, each counted, and how many others were seen.</summary>
public sealed class EvidenceField
{
    /// <summary>The name of the Community ID field.</summary>
    public const string CommunityIdName = "community_id";

    /// <summary>Creates a field.</summary>
    /// <param name="name">The field name.</param>
    /// <param name="values">The values kept, in the order first seen.</param>
    /// <param name="otherCount">How many occurrences of values beyond those kept were seen.</param>
    public EvidenceField(string name, ImmutableArray<EvidenceValue> values, long otherCount)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(otherCount);
        Name = name;
        Values = values.IsDefault ? ImmutableArray<EvidenceValue>.Empty : values;
        OtherCount = otherCount;
    }

    /// <summary>Gets the field name (<c>tls.server_name</c>, <c>http.user_agent</c>, <c>community_id</c>, ...).</summary>
    public string Name { get; }

    /// <summary>Gets the values kept (at most <see cref="EvidenceOptions.MaxValuesPerField"/>), in the order first seen.</summary>
    public ImmutableArray<EvidenceValue> Values { get; }

    /// <summary>Gets how many occurrences of values that were not kept (the sample was full) were seen: never dropped silently.</summary>
    public long OtherCount { get; }
}

/// <summary>One value of an evidence field and how often the row's flows had it.</summary>
public sealed class EvidenceValue
{
    /// <summary>Creates a value.</summary>
    /// <param name="value">The text, escaped as Zeek prints it (control bytes and invalid UTF-8 as <c>\xHH</c>) and capped.</param>
    /// <param name="count">How often it was seen (at least 1).</param>
    public EvidenceValue(string value, long count)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Value = value;
        Count = count;
    }

    /// <summary>Gets the text: printable as it came, control bytes and invalid UTF-8 as <c>\xHH</c>, cut at <see cref="EvidenceOptions.MaxValueLength"/> bytes (then ending in <c>...</c>).</summary>
    public string Value { get; }

    /// <summary>Gets how often it was seen.</summary>
    public long Count { get; }
}
