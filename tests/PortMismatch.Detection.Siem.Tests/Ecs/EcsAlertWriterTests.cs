using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PortMismatch.Detection.Siem.Internal;
using PortMismatch.Detection.Siem.Tests.Support;

namespace PortMismatch.Detection.Siem.Tests.Ecs;

public sealed class EcsAlertWriterTests
{
    /// <summary>The custom prefix the package README documents for what ECS has no field for.</summary>
    private const string CustomPrefix = "portmismatch";

    private static readonly DetectionRule Ssl = RuleSet.Escu.Rules.Single(r => r.Id == "escu-ssl");

    [Fact]
    public void The_custom_prefix_is_not_an_ECS_field_set()
    {
        var schema = EcsSchema.Instance;
        Assert.True(schema.FieldCount > 2000, $"ecs_flat.yml parsed to only {schema.FieldCount} fields");
        Assert.False(schema.IsFieldOrParent(CustomPrefix));
        Assert.NotNull(schema.Find("event.kind")); // the check above could not pass by an empty schema
    }

    [Theory]
    [InlineData(19, 400)]
    [InlineData(20_26, 400)]
    public void Every_field_of_every_document_is_an_ECS_field_of_a_compatible_type(int seed, int count)
    {
        var schema = EcsSchema.Instance;
        var rows = RandomRows.Generate(seed, count);
        var documents = Write(rows, new EcsWriterOptions { ObserverName = "sensor-1", RuleSet = "escu" });

        Assert.Equal(rows.Count, documents.Count);
        var failures = new List<string>();
        for (var i = 0; i < rows.Count; i++)
        {
            using var document = JsonDocument.Parse(documents[i]);
            foreach (var violation in schema.Violations(document.RootElement, CustomPrefix))
            {
                failures.Add($"row {i}: {violation}");
            }

            failures.AddRange(ValuesDifferFromRow(rows[i], document.RootElement).Select(d => $"row {i}: {d}"));
        }

        Assert.True(failures.Count == 0, $"seed {seed}: {failures.Count} failures, the first: {string.Join("\n", failures.Take(20))}");
    }

    [Fact]
    public void The_check_fails_a_wrong_field_name_type_array_or_value()
    {
        var schema = EcsSchema.Instance;
        var document = Write([Row(Ssl)], EcsWriterOptions.Default).Single();
        Assert.Empty(schema.Violations(JsonDocument.Parse(document).RootElement, CustomPrefix));

        (string Change, Action<JsonObject> Apply, string Expected)[] mutations =
        [
            ("a misspelt field", d => d["event"]!["kinds"] = "alert", "event.kinds: not an ECS field"),
            ("a field outside the custom prefix", d => d["count"] = 3, "count: not an ECS field"),
            ("a port as text", d => d["destination"]!["port"] = "4444", "destination.port: \"4444\" is not a value of ECS type long"),
            ("a fractional port", d => d["destination"]!["port"] = 44.5, "destination.port: 44.5 is not a value of ECS type long"),
            ("an address that is none", d => d["source"]!["ip"] = "null", "source.ip: \"null\" is not a value of ECS type ip"),
            ("a date without a zone", d => d["event"]!["start"] = "2024-11-26T08:33:20", "event.start: \"2024-11-26T08:33:20\" is not a value of ECS type date"),
            ("a number for a keyword", d => d["event"]!["id"] = 7, "event.id: 7 is not a value of ECS type keyword"),
            ("an array for a single value", d => d["event"]!["kind"] = new JsonArray("alert"), "event.kind: holds several values, but ECS does not normalize it to an array"),
            ("a kind ECS does not allow", d => d["event"]!["kind"] = "finding", "event.kind: 'finding' is not one of its allowed values"),
            ("a type the network category does not expect", d => d["event"]!["type"] = new JsonArray("indicator"), "event.type: 'indicator' is not an event type that category 'network' expects"),
            ("no @timestamp", d => d.Remove("@timestamp"), "@timestamp: required by ECS and missing"),
            ("a threat framework as an array of objects", d => d["threat"] = new JsonArray(new JsonObject { ["framework"] = "MITRE ATT&CK" }), "threat.framework: holds several values"),
        ];
        foreach (var (change, apply, expected) in mutations)
        {
            var node = JsonNode.Parse(document)!.AsObject();
            apply(node);
            var violations = schema.Violations(JsonDocument.Parse(node.ToJsonString()).RootElement, CustomPrefix);
            Assert.True(violations.Any(v => v.StartsWith(expected, StringComparison.Ordinal)), $"{change}: expected '{expected}', got [{string.Join("; ", violations)}]");
        }
    }

    [Fact]
    public void An_ESCU_row_maps_to_the_documented_fields()
    {
        var row = new MismatchRow(
            IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("2001:db8::66"), "SSL", 4444, 18,
            1_732_608_341_123_456, 1_732_640_101_000_001, Ssl, [Transport.Tcp])
        {
            WindowStartMicroseconds = 1_732_608_000_000_000,
            WindowEndMicroseconds = 1_732_608_900_000_000,
            IsLate = true,
        };
        var root = JsonDocument.Parse(Write([row], new EcsWriterOptions { Dataset = "siem.findings", RuleSet = "escu" }).Single()).RootElement;

        Assert.Equal("2024-11-26T16:55:01.000001Z", root.GetProperty("@timestamp").GetString());
        Assert.Equal("9.4.0", root.GetProperty("ecs").GetProperty("version").GetString());
        var @event = root.GetProperty("event");
        Assert.Equal("alert", @event.GetProperty("kind").GetString());
        Assert.Equal(["network"], Strings(@event.GetProperty("category")));
        Assert.Equal(["connection"], Strings(@event.GetProperty("type")));
        Assert.Equal("siem.findings", @event.GetProperty("dataset").GetString());
        Assert.Equal("2024-11-26T08:05:41.123456Z", @event.GetProperty("start").GetString());
        Assert.Equal(FindingId.Compute(row), @event.GetProperty("id").GetString());
        Assert.Equal(25, @event.GetProperty("risk_score").GetDouble());
        Assert.Equal("2001:db8::66", root.GetProperty("destination").GetProperty("ip").GetString());
        Assert.Equal("tcp", root.GetProperty("network").GetProperty("transport").GetString());
        Assert.Equal("6", root.GetProperty("network").GetProperty("iana_number").GetString());
        Assert.Equal("ssl", root.GetProperty("network").GetProperty("protocol").GetString());
        Assert.Equal("escu-ssl", root.GetProperty("rule").GetProperty("id").GetString());
        Assert.Equal("escu", root.GetProperty("rule").GetProperty("ruleset").GetString());
        Assert.False(root.GetProperty("rule").TryGetProperty("reference", out _)); // ESCU's rules cite no URL
        Assert.Equal(row.Message, root.GetProperty("message").GetString());

        // ESCU's T1048.003, T1048, T1571: T1048 once, with its sub-technique, then T1571.
        var threat = root.GetProperty("threat");
        Assert.Equal("MITRE ATT&CK", threat.GetProperty("framework").GetString());
        var techniques = threat.GetProperty("technique").EnumerateArray().ToList();
        Assert.Equal(["T1048", "T1571"], techniques.Select(t => t.GetProperty("id").GetString()!));
        Assert.Equal("Exfiltration Over Alternative Protocol", techniques[0].GetProperty("name").GetString());
        Assert.Equal("https://attack.mitre.org/techniques/T1048/", techniques[0].GetProperty("reference").GetString());
        var sub = Assert.Single(techniques[0].GetProperty("subtechnique").EnumerateArray());
        Assert.Equal("T1048.003", sub.GetProperty("id").GetString());
        Assert.Equal("https://attack.mitre.org/techniques/T1048/003/", sub.GetProperty("reference").GetString());
        Assert.Equal("Non-Standard Port", techniques[1].GetProperty("name").GetString());

        var custom = root.GetProperty(CustomPrefix);
        Assert.Equal(18, custom.GetProperty("count").GetInt64());
        Assert.Equal("SSL", custom.GetProperty("app").GetString());
        Assert.Equal("2024-11-26T08:00:00.000000Z", custom.GetProperty("window").GetProperty("start").GetString());
        Assert.Equal("2024-11-26T08:15:00.000000Z", custom.GetProperty("window").GetProperty("end").GetString());
        Assert.True(custom.GetProperty("late").GetBoolean());
        Assert.False(custom.GetProperty("partial").GetBoolean());
    }

    [Fact]
    public void A_row_without_a_rule_or_addresses_leaves_those_field_sets_out()
    {
        var row = new MismatchRow(IPAddressValue.None, IPAddressValue.None, "ssh", 0, 1, 5, 5, null, [Transport.Tcp, Transport.Udp]);
        var root = JsonDocument.Parse(Write([row], EcsWriterOptions.Default).Single()).RootElement;

        Assert.False(root.TryGetProperty("source", out _));
        Assert.False(root.TryGetProperty("rule", out _));
        Assert.False(root.TryGetProperty("threat", out _));
        Assert.False(root.TryGetProperty("observer", out _));
        Assert.False(root.GetProperty("destination").TryGetProperty("ip", out _));
        Assert.Equal(0, root.GetProperty("destination").GetProperty("port").GetInt32());
        Assert.False(root.GetProperty("network").TryGetProperty("transport", out _)); // two transports: no single value
        Assert.Equal(["tcp", "udp"], Strings(root.GetProperty(CustomPrefix).GetProperty("transports")));
        Assert.Equal(0, root.GetProperty("event").GetProperty("risk_score").GetDouble());
        Assert.Equal(EcsWriterOptions.DefaultDataset, root.GetProperty("event").GetProperty("dataset").GetString());
    }

    [Fact]
    public void Documents_are_one_per_line_and_the_stream_is_flushed_at_the_end()
    {
        var rows = RandomRows.Generate(7, 2_000); // more than the 32 KiB the writer buffers before writing to the stream
        using var stream = new MemoryStream();
        using (var writer = new EcsAlertWriter(stream, new EcsWriterOptions { LeaveOpen = true }))
        {
            foreach (var row in rows)
            {
                writer.OnRow(row);
            }

            Assert.Equal(rows.Count, writer.RowsWritten);
        }

        var text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.Equal(rows.Count, lines.Length);
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
    }

    [Theory]
    [InlineData("my-dataset", "EcsWriterOptions.Dataset")]
    [InlineData(" ", "EcsWriterOptions.Dataset")]
    [InlineData("", "EcsWriterOptions.Dataset")]
    public void A_dataset_that_cannot_name_a_data_stream_is_refused_by_name(string dataset, string setting)
    {
        var e = Assert.Throws<ArgumentException>(() => new EcsAlertWriter(new ArrayBufferWriter<byte>(), new EcsWriterOptions { Dataset = dataset }));
        Assert.StartsWith(setting, e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new EcsAlertWriter(new ArrayBufferWriter<byte>(), new EcsWriterOptions { Dataset = new string('a', 101) }));
        Assert.Throws<ArgumentException>(() => new EcsAlertWriter(new ArrayBufferWriter<byte>(), new EcsWriterOptions { ObserverName = "" }));
    }

    internal static List<string> Write(IEnumerable<MismatchRow> rows, EcsWriterOptions options)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new EcsAlertWriter(output, options))
        {
            foreach (var row in rows)
            {
                writer.OnRow(row);
            }
        }

        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static MismatchRow Row(DetectionRule? rule) => new(
        IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("203.0.113.66"), "ssl", 4444, 3, 1_700_000_000_000_000, 1_700_000_060_000_000, rule, [Transport.Tcp]);

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>Where a document's values differ from what its row says, each derived from the row here.</summary>
    private static IEnumerable<string> ValuesDifferFromRow(MismatchRow row, JsonElement root)
    {
        var differences = new List<string>();
        void Expect(bool condition, string what)
        {
            if (!condition)
            {
                differences.Add(what);
            }
        }

        var @event = root.GetProperty("event");
        Expect(@event.GetProperty("id").GetString() == FindingId.Compute(row), "event.id is not the row's finding id");
        Expect(Microseconds(@event.GetProperty("start")) == Clamp(row.FirstTimeMicroseconds), "event.start is not firstTime to the microsecond");
        Expect(Microseconds(@event.GetProperty("end")) == Clamp(row.LastTimeMicroseconds), "event.end is not lastTime to the microsecond");
        Expect(Microseconds(root.GetProperty("@timestamp")) == Clamp(row.LastTimeMicroseconds), "@timestamp is not lastTime");
        Expect(@event.GetProperty("risk_score").GetDouble() == row.RiskScore, "event.risk_score is not the rule's");
        Expect(Address(root, "source") == (row.SourceAddress.HasValue ? row.SourceAddress.ToString() : null), "source.ip is not src_ip");
        Expect(Address(root, "destination") == (row.DestinationAddress.HasValue ? row.DestinationAddress.ToString() : null), "destination.ip is not dest_ip");
        Expect(root.GetProperty("destination").GetProperty("port").GetInt32() == row.DestinationPort, "destination.port is not dest_port");
        var network = root.GetProperty("network");
        Expect(network.GetProperty("protocol").GetString() == row.App.ToLowerInvariant(), "network.protocol is not the app in lower case");
        var single = row.Transports.Length == 1 && row.Transports[0] is Transport.Tcp or Transport.Udp ? row.Transports[0].ToName() : null;
        Expect((network.TryGetProperty("transport", out var transport) ? transport.GetString() : null) == single, "network.transport is not the row's one transport");
        var custom = root.GetProperty(CustomPrefix);
        Expect(custom.GetProperty("count").GetInt64() == row.Count, "portmismatch.count is not count");
        Expect(custom.GetProperty("app").GetString() == row.App, "portmismatch.app is not the app text");
        Expect(Strings(custom.GetProperty("transports")).SequenceEqual(row.Transports.Select(t => t.ToName())), "portmismatch.transports are not the row's");
        Expect(custom.GetProperty("partial").GetBoolean() == row.IsPartial, "portmismatch.partial is not IsPartial");
        Expect(custom.GetProperty("late").GetBoolean() == row.IsLate, "portmismatch.late is not IsLate");
        var window = custom.TryGetProperty("window", out var w) ? w : (JsonElement?)null;
        Expect(row.WindowStartMicroseconds is null ? window is null : Microseconds(window!.Value.GetProperty("start")) == row.WindowStartMicroseconds, "portmismatch.window.start is not the window's start");
        Expect(row.WindowEndMicroseconds is null ? window is null : Microseconds(window!.Value.GetProperty("end")) == row.WindowEndMicroseconds, "portmismatch.window.end is not the window's end");

        Expect(root.TryGetProperty("rule", out var rule) == (row.Rule is not null), "rule is there without a rule or missing with one");
        if (row.Rule is { } r)
        {
            Expect(rule.GetProperty("id").GetString() == r.Id && rule.GetProperty("name").GetString() == r.Name, "rule.id or rule.name is not the rule's");
            Expect((rule.TryGetProperty("description", out var d) ? d.GetString() : null) == r.Description, "rule.description is not the rule's");
            var url = r.Reference is not null && r.Reference.StartsWith("https://", StringComparison.Ordinal) ? r.Reference : null;
            Expect((rule.TryGetProperty("reference", out var reference) ? reference.GetString() : null) == url, "rule.reference is not the rule's URL");

            // Every technique id of the rule is in the document, as a technique or as a sub-technique of its parent.
            var ids = new HashSet<string>(StringComparer.Ordinal);
            if (root.TryGetProperty("threat", out var threat))
            {
                Expect(threat.GetProperty("framework").GetString() == "MITRE ATT&CK", "threat.framework is not MITRE ATT&CK");
                foreach (var technique in threat.GetProperty("technique").EnumerateArray())
                {
                    var id = technique.GetProperty("id").GetString()!;
                    Expect(ids.Add(id), $"threat.technique {id} is there twice");
                    Expect(id.Contains('.', StringComparison.Ordinal) is false || !id.StartsWith('T'), $"threat.technique.id {id} is a sub-technique");
                    if (technique.TryGetProperty("subtechnique", out var subs))
                    {
                        foreach (var sub in subs.EnumerateArray())
                        {
                            var subId = sub.GetProperty("id").GetString()!;
                            Expect(subId.StartsWith(id + ".", StringComparison.Ordinal), $"sub-technique {subId} is under {id}");
                            ids.Add(subId);
                        }
                    }

                    if (id.Length == 5 && id[0] == 'T' && id[1..].All(char.IsAsciiDigit))
                    {
                        Expect(technique.GetProperty("reference").GetString() == $"https://attack.mitre.org/techniques/{id}/", $"{id}'s reference is not its ATT&CK page");
                    }
                }
            }

            Expect(r.Techniques.All(ids.Contains), $"the rule's techniques [{string.Join(", ", r.Techniques)}] are not all in the document");
        }

        return differences;
    }

    private static string? Address(JsonElement root, string set)
        => root.TryGetProperty(set, out var endpoint) && endpoint.TryGetProperty("ip", out var ip) ? ip.GetString() : null;

    private static long Clamp(long microseconds) => Math.Clamp(microseconds, FlowTime.MinMicroseconds, FlowTime.MaxMicroseconds);

    /// <summary>An ECS date back to Unix microseconds, by the BCL's own ISO 8601 parser.</summary>
    private static long Microseconds(JsonElement date)
    {
        var parsed = DateTimeOffset.Parse(date.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        return (parsed.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
    }
}
