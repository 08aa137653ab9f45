using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using PortMismatch.Detection.Siem.Internal;

namespace PortMismatch.Detection.Siem;

/// <summary>
/// Writes one Elastic Common Schema 9.4.0 alert document per row, one JSON document per line (NDJSON):
/// <c>event.kind</c> <c>alert</c>, <c>event.category</c> <c>[network]</c>,
/// the flow in <c>source</c>, <c>destination</c> and <c>network</c>, the rule in <c>rule</c>, its ATT&amp;CK ids in
/// <c>threat</c>. What ECS has no field for (the count, the window, the partial and late flags, the exact app text) is under
/// the custom prefix <c>portmismatch</c>. The package README lists every field.
/// </summary>
public sealed class EcsAlertWriter : RowWriter
{
    /// <summary>The ECS version the documents conform to, written as <c>ecs.version</c>.</summary>
    public const string EcsVersion = "9.4.0";

    // The documents go to a file or a socket, never into HTML: only what JSON itself requires is escaped, so that
    // "MITRE ATT&CK" and non-ASCII app names stay readable.
    private static readonly JsonWriterOptions JsonOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly EcsWriterOptions _ecs;

    /// <summary>Creates a writer over a stream with the default options.</summary>
    /// <param name="stream">The destination.</param>
    public EcsAlertWriter(Stream stream)
        : this(stream, null)
    {
    }

    /// <summary>Creates a writer over a buffer writer with the default options.</summary>
    /// <param name="output">The destination.</param>
    public EcsAlertWriter(IBufferWriter<byte> output)
        : this(output, null)
    {
    }

    /// <summary>Creates a writer over a stream.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option cannot be written; the message names it.</exception>
    public EcsAlertWriter(Stream stream, EcsWriterOptions? options)
        : base(stream, ToRowWriterOptions(options))
    {
        _ecs = options ?? EcsWriterOptions.Default;
    }

    /// <summary>Creates a writer over a buffer writer.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option cannot be written; the message names it.</exception>
    public EcsAlertWriter(IBufferWriter<byte> output, EcsWriterOptions? options)
        : base(output, ToRowWriterOptions(options))
    {
        _ecs = options ?? EcsWriterOptions.Default;
    }

    /// <inheritdoc/>
    protected override void WriteRow(IBufferWriter<byte> output, MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        using (var json = new Utf8JsonWriter(output, JsonOptions))
        {
            json.WriteStartObject();

            // The last time the mismatch was seen: the time of the event the alert reports, and the same on every run over
            // the same input (the time of writing would make each re-run a different document).
            WriteDate(json, "@timestamp"u8, row.LastTimeMicroseconds);
            json.WriteStartObject("ecs"u8);
            json.WriteString("version"u8, EcsVersion);
            json.WriteEndObject();
            WriteEvent(json, row);
            json.WriteString("message"u8, row.Message);
            if (_ecs.ObserverName is { } observer)
            {
                json.WriteStartObject("observer"u8);
                json.WriteString("name"u8, observer);
                json.WriteEndObject();
            }

            WriteEndpoint(json, "source"u8, row.SourceAddress, port: null);
            WriteEndpoint(json, "destination"u8, row.DestinationAddress, row.DestinationPort);
            WriteNetwork(json, row);
            if (row.Evidence is { } evidence)
            {
                WriteEvidence(json, evidence);
            }
            if (row.Rule is { } rule)
            {
                WriteRule(json, rule);
                WriteThreat(json, rule);
            }

            WriteCustom(json, row);
            json.WriteEndObject();
        }

        WriteBytes(output, "\n"u8);
    }

    private static RowWriterOptions ToRowWriterOptions(EcsWriterOptions? options)
    {
        options?.Validate();
        return new RowWriterOptions { LeaveOpen = options?.LeaveOpen ?? false };
    }

    private void WriteEvent(Utf8JsonWriter json, MismatchRow row)
    {
        json.WriteStartObject("event"u8);
        json.WriteString("kind"u8, "alert"u8);
        json.WriteStartArray("category"u8);
        json.WriteStringValue("network"u8);
        json.WriteEndArray();

        // A row sums flow records (conn.log lines, flow events, IPFIX records): ECS's "connection" type, which it gives
        // NetFlow and IPFIX summaries. Not start or end (a row spans many connections), not allowed or denied (the
        // disposition is not known), not protocol (ECS keeps it for events with protocol details beyond the name).
        json.WriteStartArray("type"u8);
        json.WriteStringValue("connection"u8);
        json.WriteEndArray();
        json.WriteString("module"u8, "portmismatch"u8);
        json.WriteString("dataset"u8, _ecs.Dataset);
        json.WriteString("id"u8, FindingId.Compute(row));
        WriteDate(json, "start"u8, row.FirstTimeMicroseconds);
        WriteDate(json, "end"u8, row.LastTimeMicroseconds);

        // The rule's score is ESCU's impact x confidence / 100, already on 0-100: the original and the normalized value.
        json.WriteNumber("risk_score"u8, row.RiskScore);
        json.WriteNumber("risk_score_norm"u8, row.RiskScore);
        json.WriteEndObject();
    }

    private static void WriteEndpoint(Utf8JsonWriter json, ReadOnlySpan<byte> name, IPAddressValue address, int? port)
    {
        if (!address.HasValue && port is null)
        {
            return;
        }

        json.WriteStartObject(name);
        if (address.HasValue)
        {
            // ECS: the raw address in .address, duplicated to .ip when it is one.
            Span<byte> text = stackalloc byte[IPAddressValue.MaxFormattedLength];
            _ = address.TryFormat(text, out var written);
            json.WriteString("address"u8, text[..written]);
            json.WriteString("ip"u8, text[..written]);
        }

        if (port is { } value)
        {
            json.WriteNumber("port"u8, value);
        }

        json.WriteEndObject();
    }

    private static void WriteNetwork(Utf8JsonWriter json, MismatchRow row)
    {
        json.WriteStartObject("network"u8);

        // network.transport holds one IANA keyword: written when every record of the row was TCP, or every one UDP.
        // "other" names no protocol, and a row of several transports has no single value; portmismatch.transports has them all.
        if (row.Transports is [var only] && only is Transport.Tcp or Transport.Udp)
        {
            json.WriteString("transport"u8, only == Transport.Tcp ? "tcp"u8 : "udp"u8);
            json.WriteString("iana_number"u8, only == Transport.Tcp ? "6"u8 : "17"u8);
        }

        // ECS: "The field value must be normalized to lowercase for querying." The exact text is portmismatch.app.
        json.WriteString("protocol"u8, row.App.ToLowerInvariant());
        if (row.Evidence?.First(EvidenceField.CommunityIdName) is { } communityId)
        {
            json.WriteString("community_id"u8, communityId); // one keyword: the first; portmismatch.evidence has them all
        }

        json.WriteEndObject();
    }

    /// <summary>The first value of each evidence field that ECS names (the whole sample is in portmismatch.evidence).</summary>
    private static void WriteEvidence(Utf8JsonWriter json, MismatchEvidence evidence)
    {
        var serverName = evidence.First("tls.server_name");
        var ja3 = evidence.First("tls.ja3");
        var version = evidence.First("tls.version") switch
        {
            "TLSv10" => "1.0",
            "TLSv11" => "1.1",
            "TLSv12" => "1.2",
            "TLSv13" => "1.3",
            _ => null,
        };
        if (serverName is not null || ja3 is not null || version is not null)
        {
            json.WriteStartObject("tls"u8);
            if (version is not null)
            {
                json.WriteString("version"u8, version);
                json.WriteString("version_protocol"u8, "tls"u8);
            }

            if (serverName is not null || ja3 is not null)
            {
                json.WriteStartObject("client"u8);
                if (serverName is not null)
                {
                    json.WriteString("server_name"u8, serverName);
                }

                if (ja3 is not null)
                {
                    json.WriteString("ja3"u8, ja3);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        var method = evidence.First("http.method");
        var status = evidence.First("http.status_code");
        var hasStatus = long.TryParse(status, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var statusCode);
        if (method is not null || hasStatus)
        {
            json.WriteStartObject("http"u8);
            if (method is not null)
            {
                json.WriteStartObject("request"u8);
                json.WriteString("method"u8, method);
                json.WriteEndObject();
            }

            if (hasStatus)
            {
                json.WriteStartObject("response"u8);
                json.WriteNumber("status_code"u8, statusCode);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        var uri = evidence.First("http.uri");
        var host = evidence.First("http.host");
        if (uri is not null || host is not null)
        {
            json.WriteStartObject("url"u8);
            if (uri is not null)
            {
                json.WriteString("original"u8, uri);
            }

            if (host is not null)
            {
                json.WriteString("domain"u8, host);
            }

            json.WriteEndObject();
        }

        if (evidence.First("http.user_agent") is { } userAgent)
        {
            json.WriteStartObject("user_agent"u8);
            json.WriteString("original"u8, userAgent);
            json.WriteEndObject();
        }

        if (evidence.First("dns.query") is { } query)
        {
            json.WriteStartObject("dns"u8);
            json.WriteStartObject("question"u8);
            json.WriteString("name"u8, query);
            json.WriteEndObject();
            json.WriteEndObject();
        }
    }

    private void WriteRule(Utf8JsonWriter json, DetectionRule rule)
    {
        json.WriteStartObject("rule"u8);
        json.WriteString("id"u8, rule.Id);
        json.WriteString("name"u8, rule.Name);
        if (rule.Description is { } description)
        {
            json.WriteString("description"u8, description);
        }

        // ECS's rule.reference is a URL; a rule's Reference is often a citation of where its ports come from (IANA, RFCs),
        // which is written only when it is an http(s) URL.
        if (rule.Reference is { } reference
            && Uri.TryCreate(reference, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            json.WriteString("reference"u8, reference);
        }

        if (_ecs.RuleSet is { } ruleSet)
        {
            json.WriteString("ruleset"u8, ruleSet);
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// The rule's ATT&amp;CK ids as Elastic's own alerts carry them: <c>threat.technique</c> an array of objects, one per
    /// technique (in the order the rule first names it), each with its sub-techniques in <c>subtechnique</c>, so that an id
    /// stays paired with its name and page in the document; Elasticsearch indexes them as the ECS arrays
    /// <c>threat.technique.id</c>, <c>.name</c>, <c>.reference</c> and <c>threat.technique.subtechnique.*</c>.
    /// </summary>
    private static void WriteThreat(Utf8JsonWriter json, DetectionRule rule)
    {
        var techniques = rule.Techniques;
        if (techniques.IsEmpty)
        {
            return;
        }

        json.WriteStartObject("threat"u8);
        json.WriteString("framework"u8, "MITRE ATT&CK"u8);
        json.WriteStartArray("technique"u8);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in techniques)
        {
            var technique = MitreAttack.IsAttackId(id) ? MitreAttack.TechniqueOf(id) : id;
            if (!written.Add(technique))
            {
                continue;
            }

            json.WriteStartObject();
            WriteTechnique(json, technique);
            if (MitreAttack.IsAttackId(technique))
            {
                var any = false;
                foreach (var sub in techniques)
                {
                    if (sub.Length == 9 && MitreAttack.IsAttackId(sub) && MitreAttack.TechniqueOf(sub) == technique)
                    {
                        if (!any)
                        {
                            json.WriteStartArray("subtechnique"u8);
                            any = true;
                        }

                        json.WriteStartObject();
                        WriteTechnique(json, sub);
                        json.WriteEndObject();
                    }
                }

                if (any)
                {
                    json.WriteEndArray();
                }
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteTechnique(Utf8JsonWriter json, string id)
    {
        json.WriteString("id"u8, id);
        if (MitreAttack.NameOf(id) is { } name)
        {
            json.WriteString("name"u8, name);
        }

        if (MitreAttack.IsAttackId(id))
        {
            json.WriteString("reference"u8, MitreAttack.ReferenceOf(id));
        }
    }

    /// <summary>
    /// What ECS has no field for, under one prefix that names this library (ECS's advice for custom fields: nest them
    /// under a proper name, which ECS itself never uses): the row's count (ECS's event set has no count of events),
    /// the exact app text, every transport, the window and the partial and late flags.
    /// </summary>
    private static void WriteCustom(Utf8JsonWriter json, MismatchRow row)
    {
        json.WriteStartObject("portmismatch"u8);
        json.WriteNumber("count"u8, row.Count);
        json.WriteString("app"u8, row.App);
        json.WriteStartArray("transports"u8);
        foreach (var transport in row.Transports)
        {
            json.WriteStringValue(transport.ToName());
        }

        json.WriteEndArray();
        if (row.WindowStartMicroseconds is not null || row.WindowEndMicroseconds is not null)
        {
            json.WriteStartObject("window"u8);
            if (row.WindowStartMicroseconds is { } start)
            {
                WriteDate(json, "start"u8, start);
            }

            if (row.WindowEndMicroseconds is { } end)
            {
                WriteDate(json, "end"u8, end);
            }

            json.WriteEndObject();
        }

        json.WriteBoolean("partial"u8, row.IsPartial);
        json.WriteBoolean("late"u8, row.IsLate);
        if (row.Evidence is { } evidence)
        {
            json.WritePropertyName("evidence"u8);
            evidence.WriteJson(json);
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// An ECS date: ISO 8601 in UTC with the microseconds kept (<c>2024-11-26T08:33:20.123456Z</c>), always six digits so
    /// that every document has the same shape. A time outside years 1-9999 is clamped to them, as the other writers do.
    /// </summary>
    private static void WriteDate(Utf8JsonWriter json, ReadOnlySpan<byte> name, long microseconds)
    {
        var clamped = Math.Clamp(microseconds, FlowTime.MinMicroseconds, FlowTime.MaxMicroseconds);
        var time = FlowTime.ToDateTimeOffset(clamped).UtcDateTime;
        Span<byte> text = stackalloc byte[27];
        _ = time.TryFormat(text, out var written, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        json.WriteString(name, text[..written]);
    }
}
