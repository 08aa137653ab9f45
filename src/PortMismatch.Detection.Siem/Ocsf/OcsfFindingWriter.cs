using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using PortMismatch.Detection.Siem.Internal;

namespace PortMismatch.Detection.Siem;

/// <summary>
/// Writes each row as one OCSF 1.8.0 Detection Finding (class 2004), one JSON document per line (NDJSON), valid against
/// the schema without profiles.
/// </summary>
/// <remarks>
/// <para>
/// <c>finding_info.uid</c> is the same for every row of one rule, key (src_ip, dest_ip, app, dest_port) and window, in any
/// run on any machine. A row is <c>activity_id</c> 1 (Create), a late row (<see cref="MismatchRow.IsLate"/>) 2 (Update).
/// <c>count</c> is the number of records <em>this document</em> adds to the finding, never a running total: a late row,
/// a partial row (<see cref="MismatchRow.IsPartial"/>) and the row that continues a partial row each carry only their own
/// records, and the row that continues a partial row is a Create too (the writer sees one row at a time and keeps no
/// memory of earlier ones). A consumer that keeps one finding per uid adds <c>count</c> when the uid is already there,
/// whatever the activity; the sum over a uid's documents is the finding's exact count.
/// </para>
/// <para>
/// <c>time</c> is the row's last seen (its <c>end_time</c>), not the wall clock, so that a re-run writes byte-identical
/// documents. OCSF times are milliseconds: <c>time</c>, <c>start_time</c> and <c>end_time</c> are the microsecond times
/// rounded down; the exact microseconds, the window bounds and the partial and late flags are in <c>unmapped</c>
/// (<c>first_time_us</c>, <c>last_time_us</c>, <c>window_start_us</c>, <c>window_end_us</c>, <c>partial</c>, <c>late</c>).
/// <c>severity_id</c> comes from the rule's risk score: 0-20 Informational (1), 21-40 Low (2), 41-60 Medium (3), 61-80
/// High (4), 81-100 Critical (5); a row without a rule is Informational.
/// </para>
/// </remarks>
public sealed class OcsfFindingWriter : RowWriter
{
    private const string SchemaVersion = "1.8.0";

    // Quotes, backslashes and control characters are escaped as JSON requires; '+', '\'' and non-ASCII letters are not
    // (the default encoder's HTML-safe escapes would make "tcp+udp" "tcp\u002Budp" in every SIEM's view).
    private static readonly JsonWriterOptions JsonOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly OcsfWriterOptions _options;

    /// <summary>Creates a writer over a stream with the default options.</summary>
    /// <param name="stream">The destination.</param>
    public OcsfFindingWriter(Stream stream)
        : this(stream, null)
    {
    }

    /// <summary>Creates a writer over a buffer writer with the default options.</summary>
    /// <param name="output">The destination.</param>
    public OcsfFindingWriter(IBufferWriter<byte> output)
        : this(output, null)
    {
    }

    /// <summary>Creates a writer over a stream.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option is blank.</exception>
    public OcsfFindingWriter(Stream stream, OcsfWriterOptions? options)
        : base(stream, ToRowWriterOptions(options))
    {
        _options = options ?? OcsfWriterOptions.Default;
    }

    /// <summary>Creates a writer over a buffer writer.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option is blank.</exception>
    public OcsfFindingWriter(IBufferWriter<byte> output, OcsfWriterOptions? options)
        : base(output, ToRowWriterOptions(options))
    {
        _options = options ?? OcsfWriterOptions.Default;
    }

    /// <inheritdoc/>
    protected override void WriteRow(IBufferWriter<byte> output, MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        using var json = new Utf8JsonWriter(output, JsonOptions);
        var update = row.IsLate;
        var severity = Severity(row);
        json.WriteStartObject();
        json.WriteNumber("activity_id"u8, update ? 2 : 1);
        json.WriteString("activity_name"u8, update ? "Update"u8 : "Create"u8);
        json.WriteNumber("category_uid"u8, 2);
        json.WriteString("category_name"u8, "Findings"u8);
        json.WriteNumber("class_uid"u8, 2004);
        json.WriteString("class_name"u8, "Detection Finding"u8);
        json.WriteNumber("type_uid"u8, update ? 200402 : 200401);
        json.WriteString("type_name"u8, update ? "Detection Finding: Update"u8 : "Detection Finding: Create"u8);
        json.WriteNumber("severity_id"u8, severity);
        json.WriteString("severity"u8, SeverityName(severity));
        json.WriteNumber("status_id"u8, 1);
        json.WriteString("status"u8, "New"u8);
        json.WriteNumber("time"u8, Milliseconds(row.LastTimeMicroseconds));
        json.WriteNumber("start_time"u8, Milliseconds(row.FirstTimeMicroseconds));
        json.WriteNumber("end_time"u8, Milliseconds(row.LastTimeMicroseconds));
        json.WriteNumber("count"u8, row.Count);
        json.WriteString("message"u8, row.Message);
        if (row.Rule is not null)
        {
            json.WriteNumber("risk_score"u8, row.RiskScore);
        }

        WriteFindingInfo(json, row);
        WriteEvidences(json, row);
        json.WriteStartObject("metadata"u8);
        json.WriteStartObject("product"u8);
        json.WriteString("name"u8, _options.ProductName);
        json.WriteString("vendor_name"u8, _options.VendorName);
        json.WriteString("version"u8, _options.ProductVersion);
        json.WriteEndObject();
        json.WriteString("version"u8, SchemaVersion);
        json.WriteEndObject();
        WriteUnmapped(json, row);
        json.WriteEndObject();
        json.Flush();
        output.Write("\n"u8);
    }

    /// <summary>OCSF <c>severity_id</c> from the rule's risk score (bands of 20); Informational without a rule.</summary>
    internal static int Severity(MismatchRow row) => row.Rule is null ? 1 : row.RiskScore switch
    {
        <= 20 => 1,
        <= 40 => 2,
        <= 60 => 3,
        <= 80 => 4,
        _ => 5,
    };

    /// <summary>Unix microseconds to OCSF's milliseconds, rounded down (also before 1970).</summary>
    internal static long Milliseconds(long microseconds) => (microseconds / 1000) - (microseconds % 1000 < 0 ? 1 : 0);

    private static ReadOnlySpan<byte> SeverityName(int severity) => severity switch
    {
        1 => "Informational"u8,
        2 => "Low"u8,
        3 => "Medium"u8,
        4 => "High"u8,
        _ => "Critical"u8,
    };

    private static RowWriterOptions ToRowWriterOptions(OcsfWriterOptions? options)
    {
        options?.Validate();
        return new RowWriterOptions { LeaveOpen = options?.LeaveOpen ?? false };
    }

    private static void WriteFindingInfo(Utf8JsonWriter json, MismatchRow row)
    {
        json.WriteStartObject("finding_info"u8);
        json.WriteString("uid"u8, FindingId.Compute(row));
        var rule = row.Rule;
        json.WriteString("title"u8, rule?.Name ?? $"{row.App} on port {row.DestinationPort}: no rule claims this app value");
        if (rule?.Description is { } description)
        {
            json.WriteString("desc"u8, description);
        }

        if (rule?.Reference is { } reference)
        {
            json.WriteString("src_url"u8, reference);
        }

        json.WriteStartArray("types"u8);
        json.WriteStringValue("Protocol or Port Mismatch"u8);
        json.WriteEndArray();
        json.WriteStartObject("analytic"u8);
        if (rule is not null)
        {
            json.WriteString("uid"u8, rule.Id);
            json.WriteString("name"u8, rule.Name);
        }
        else
        {
            // The row is the search's literal tstats grouping of a value no rule claims: the analytic is the search.
            json.WriteString("name"u8, "Protocol or Port Mismatch"u8);
        }

        json.WriteNumber("type_id"u8, 1);
        json.WriteString("type"u8, "Rule"u8);
        json.WriteEndObject();
        if (!row.Techniques.IsEmpty)
        {
            json.WriteStartArray("attacks"u8);
            foreach (var id in row.Techniques)
            {
                WriteAttack(json, id);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void WriteAttack(Utf8JsonWriter json, string id)
    {
        json.WriteStartObject();
        var isSubTechnique = MitreAttack.TryGetParent(id, out var parent);
        var techniqueId = isSubTechnique ? parent : id;
        var known = MitreAttack.TryGet(techniqueId, out var technique);
        if (known)
        {
            json.WriteStartObject("tactic"u8);
            json.WriteString("uid"u8, technique.TacticId);
            json.WriteString("name"u8, technique.TacticName);
            json.WriteEndObject();
        }

        json.WriteStartObject("technique"u8);
        json.WriteString("uid"u8, techniqueId);
        if (known)
        {
            json.WriteString("name"u8, technique.Name);
        }

        json.WriteEndObject();
        if (isSubTechnique)
        {
            json.WriteStartObject("sub_technique"u8);
            json.WriteString("uid"u8, id);
            if (MitreAttack.TryGet(id, out var subTechnique))
            {
                json.WriteString("name"u8, subTechnique.Name);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    /// <summary>One evidence per transport of the row (the endpoints are the same; connection_info says the protocol).</summary>
    private static void WriteEvidences(Utf8JsonWriter json, MismatchRow row)
    {
        json.WriteStartArray("evidences"u8);
        if (row.Transports.IsEmpty)
        {
            WriteEvidence(json, row, Transport.Unknown);
        }

        foreach (var transport in row.Transports)
        {
            WriteEvidence(json, row, transport);
        }

        if (row.Evidence is { } evidence)
        {
            WriteSensorEvidence(json, evidence);
        }

        json.WriteEndArray();
    }

    private static void WriteEvidence(Utf8JsonWriter json, MismatchRow row, Transport transport)
    {
        json.WriteStartObject();
        if (row.SourceAddress.HasValue)
        {
            json.WriteStartObject("src_endpoint"u8);
            WriteIp(json, row.SourceAddress);
            json.WriteEndObject();
        }

        // An endpoint needs an address (or a name); without dest_ip the port is kept in unmapped.dest_port.
        if (row.DestinationAddress.HasValue)
        {
            json.WriteStartObject("dst_endpoint"u8);
            WriteIp(json, row.DestinationAddress);
            json.WriteNumber("port"u8, row.DestinationPort);
            json.WriteEndObject();
        }

        json.WriteStartObject("connection_info"u8);
        json.WriteNumber("direction_id"u8, 0);
        json.WriteString("direction"u8, "Unknown"u8);
        switch (transport)
        {
            case Transport.Tcp:
                json.WriteString("protocol_name"u8, "tcp"u8);
                json.WriteNumber("protocol_num"u8, 6);
                break;
            case Transport.Udp:
                json.WriteString("protocol_name"u8, "udp"u8);
                json.WriteNumber("protocol_num"u8, 17);
                break;
            default:
                break; // unknown, or an IP protocol other than TCP and UDP that the row does not name
        }

        var version = row.DestinationAddress.HasValue ? row.DestinationAddress : row.SourceAddress;
        if (version.HasValue)
        {
            json.WriteNumber("protocol_ver_id"u8, version.IsIPv4 ? 4 : 6);
        }

        json.WriteEndObject();

        // Evidence has no attribute for the application protocol; app_protocol_name is Network Activity's name for it.
        json.WriteStartObject("data"u8);
        json.WriteString("app_protocol_name"u8, row.App);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// The sensor's other logs, as one more evidence: the first Community ID (connection_info.community_uid), TLS (version
    /// and SNI, when the version is known: OCSF requires it), the HTTP request (method, user agent, host and URI), the DNS
    /// query, and the whole sample with its counts in data.evidence.
    /// </summary>
    private static void WriteSensorEvidence(Utf8JsonWriter json, MismatchEvidence evidence)
    {
        json.WriteStartObject();
        if (evidence.First(EvidenceField.CommunityIdName) is { } communityId)
        {
            json.WriteStartObject("connection_info"u8);
            json.WriteNumber("direction_id"u8, 0);
            json.WriteString("direction"u8, "Unknown"u8);
            json.WriteString("community_uid"u8, communityId);
            json.WriteEndObject();
        }

        if (evidence.First("tls.version") is { } version)
        {
            json.WriteStartObject("tls"u8);
            json.WriteString("version"u8, version);
            if (evidence.First("tls.server_name") is { } sni)
            {
                json.WriteString("sni"u8, sni);
            }

            json.WriteEndObject();
        }

        var method = evidence.First("http.method");
        method = method is "OPTIONS" or "GET" or "HEAD" or "POST" or "PUT" or "DELETE" or "TRACE" or "CONNECT" or "PATCH" ? method : null;
        var userAgent = evidence.First("http.user_agent");
        var uri = evidence.First("http.uri");
        if (method is not null || userAgent is not null || uri is not null)
        {
            json.WriteStartObject("http_request"u8);
            if (method is not null)
            {
                json.WriteString("http_method"u8, method);
            }

            if (userAgent is not null)
            {
                json.WriteString("user_agent"u8, userAgent);
            }

            if (uri is not null)
            {
                json.WriteStartObject("url"u8);
                if (evidence.First("http.host") is { } host)
                {
                    json.WriteString("hostname"u8, host);
                }

                json.WriteString("path"u8, uri);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        if (evidence.First("dns.query") is { } query)
        {
            json.WriteStartObject("query"u8);
            json.WriteString("hostname"u8, query);
            json.WriteEndObject();
        }

        json.WriteStartObject("data"u8);
        json.WritePropertyName("evidence"u8);
        evidence.WriteJson(json);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteIp(Utf8JsonWriter json, IPAddressValue address)
    {
        Span<byte> text = stackalloc byte[IPAddressValue.MaxFormattedLength];
        _ = address.TryFormat(text, out var written);
        json.WriteString("ip"u8, text[..written]);
    }

    private static void WriteUnmapped(Utf8JsonWriter json, MismatchRow row)
    {
        json.WriteStartObject("unmapped"u8);
        json.WriteNumber("first_time_us"u8, row.FirstTimeMicroseconds);
        json.WriteNumber("last_time_us"u8, row.LastTimeMicroseconds);
        if (row.WindowStartMicroseconds is { } start)
        {
            json.WriteNumber("window_start_us"u8, start);
        }

        if (row.WindowEndMicroseconds is { } end)
        {
            json.WriteNumber("window_end_us"u8, end);
        }

        if (!row.DestinationAddress.HasValue)
        {
            json.WriteNumber("dest_port"u8, row.DestinationPort);
        }

        json.WriteBoolean("partial"u8, row.IsPartial);
        json.WriteBoolean("late"u8, row.IsLate);
        json.WriteEndObject();
    }
}
