using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PortMismatch.Detection.Siem.Tests.Ecs;
using PortMismatch.Detection.Siem.Tests.Ocsf;

namespace PortMismatch.Detection.Siem.Tests.Evidence;

/// <summary>Rows with evidence in OCSF and ECS: valid against the schemas, and the values where each schema names them.</summary>
public sealed class EvidenceSiemTests
{
    private const string CommunityId = "1:wCb3OG7yAFWelaUydu0D+125CLM=";

    private static MismatchRow Row(MismatchEvidence? evidence) => new(
        IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("203.0.113.66"), "ssl", 4444, 18, 1_732_608_341_123_456, 1_732_640_101_654_321, RuleSet.Escu[2], [Transport.Tcp])
    {
        Evidence = evidence,
    };

    private static EvidenceField Field(string name, params string[] values) => new(name, [.. values.Select(v => new EvidenceValue(v, 2))], 1);

    private static MismatchEvidence Full() => new(
        2,
        Field(EvidenceField.CommunityIdName, CommunityId, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="),
        [
            Field("tls.server_name", "<script>alert(1)</script>.example", "b.example"),
            Field("tls.version", "TLSv12"),
            Field("tls.ja3", "e7d705a3286e19ea42f587b344ee6865"),
            Field("http.method", "CONNECT"),
            Field("http.host", "h.example"),
            Field("http.uri", "/a?b=\\x00"),
            Field("http.user_agent", "curl/8.0"),
            Field("http.status_code", "200"),
            Field("dns.query", "q.example"),
            Field("ssh.client", "SSH-2.0-Go"),
            Field("analyzer.failure", "SSL: Invalid version late in TLS connection. Packet reported version: 0"),
        ]);

    // Evidence shapes: everything, only a Community ID, a method OCSF does not list and a version ECS cannot map, none.
    public static EvidenceShapes Shapes => new();

    public sealed class EvidenceShapes : TheoryData<int>
    {
        public EvidenceShapes() => AddRange(0, 1, 2, 3);
    }

    private static MismatchEvidence? Shape(int shape) => shape switch
    {
        0 => Full(),
        1 => new MismatchEvidence(1, Field(EvidenceField.CommunityIdName, CommunityId), []),
        2 => new MismatchEvidence(1, null, [Field("http.method", "BREW"), Field("tls.version", "SSLv3"), Field("http.status_code", "x")]),
        _ => null,
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Ocsf_documents_with_evidence_are_valid(int shape)
    {
        var document = OcsfSchema.Document(Row(Shape(shape)));

        Assert.Empty(OcsfSchema.Errors(document));
    }

    [Fact]
    public void Ocsf_puts_the_first_values_in_their_attributes_and_the_sample_in_data()
    {
        var document = OcsfSchema.Document(Row(Full()));
        var evidences = document["evidences"]!.AsArray();

        Assert.Equal(2, evidences.Count); // the tcp evidence as before, then the sensor's
        var sensor = evidences[1]!;
        Assert.Equal(CommunityId, (string?)sensor["connection_info"]!["community_uid"]);
        Assert.Equal("TLSv12", (string?)sensor["tls"]!["version"]);
        Assert.Equal("<script>alert(1)</script>.example", (string?)sensor["tls"]!["sni"]);
        Assert.Equal("CONNECT", (string?)sensor["http_request"]!["http_method"]);
        Assert.Equal("curl/8.0", (string?)sensor["http_request"]!["user_agent"]);
        Assert.Equal("h.example", (string?)sensor["http_request"]!["url"]!["hostname"]);
        Assert.Equal("/a?b=\\x00", (string?)sensor["http_request"]!["url"]!["path"]);
        Assert.Equal("q.example", (string?)sensor["query"]!["hostname"]);
        var sample = sensor["data"]!["evidence"]!;
        Assert.Equal(2, (long)sample["flows"]!);
        Assert.Equal("SSH-2.0-Go", (string?)sample["fields"]!["ssh.client"]![0]!["value"]);
        Assert.Equal(1, (long)sample["other"]!["ssh.client"]!);
    }

    [Fact]
    public void Ocsf_without_evidence_is_unchanged()
    {
        Assert.Single(OcsfSchema.Document(Row(null))["evidences"]!.AsArray());
    }

    private static JsonElement Ecs(MismatchRow row)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new EcsAlertWriter(buffer))
        {
            writer.OnRow(row);
        }

        return JsonDocument.Parse(Encoding.UTF8.GetString(buffer.WrittenSpan)).RootElement.Clone();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Ecs_documents_with_evidence_have_only_ECS_fields_of_their_types(int shape)
    {
        Assert.Empty(EcsSchema.Instance.Violations(Ecs(Row(Shape(shape))), "portmismatch"));
    }

    [Fact]
    public void Ecs_puts_the_first_values_in_their_fields_and_the_sample_under_portmismatch()
    {
        var document = Ecs(Row(Full()));

        Assert.Equal(CommunityId, document.GetProperty("network").GetProperty("community_id").GetString());
        Assert.Equal("<script>alert(1)</script>.example", document.GetProperty("tls").GetProperty("client").GetProperty("server_name").GetString());
        Assert.Equal("e7d705a3286e19ea42f587b344ee6865", document.GetProperty("tls").GetProperty("client").GetProperty("ja3").GetString());
        Assert.Equal("1.2", document.GetProperty("tls").GetProperty("version").GetString());
        Assert.Equal("/a?b=\\x00", document.GetProperty("url").GetProperty("original").GetString());
        Assert.Equal("h.example", document.GetProperty("url").GetProperty("domain").GetString());
        Assert.Equal("curl/8.0", document.GetProperty("user_agent").GetProperty("original").GetString());
        Assert.Equal("CONNECT", document.GetProperty("http").GetProperty("request").GetProperty("method").GetString());
        Assert.Equal(200, document.GetProperty("http").GetProperty("response").GetProperty("status_code").GetInt64());
        Assert.Equal("q.example", document.GetProperty("dns").GetProperty("question").GetProperty("name").GetString());
        Assert.Equal(2, document.GetProperty("portmismatch").GetProperty("evidence").GetProperty("flows").GetInt64());
    }

    [Fact]
    public void Ecs_without_evidence_has_none_of_those_fields()
    {
        var document = Ecs(Row(null));

        Assert.False(document.GetProperty("network").TryGetProperty("community_id", out _));
        foreach (var name in new[] { "tls", "url", "user_agent", "http", "dns" })
        {
            Assert.False(document.TryGetProperty(name, out _), name);
        }

        Assert.False(document.GetProperty("portmismatch").TryGetProperty("evidence", out _));
    }
}
