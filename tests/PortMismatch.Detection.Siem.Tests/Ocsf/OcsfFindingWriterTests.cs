using System.Collections.Immutable;
using System.Text.Json.Nodes;
using PortMismatch.Detection.Siem.Internal;
using PortMismatch.Detection.Siem.Tests.Support;

namespace PortMismatch.Detection.Siem.Tests.Ocsf;

/// <summary>What each attribute of a document says, derived from the row it was written from.</summary>
public sealed class OcsfFindingWriterTests
{
    private static readonly DetectionRule Ssl = RuleSet.Escu.Rules.Single(r => r.Id == "escu-ssl");

    private static MismatchRow Row(
        DetectionRule? rule = null, string source = "10.1.0.13", string destination = "203.0.113.66", string app = "ssl", int port = 4444, long count = 18,
        long first = 1_732_608_341_123_456, long last = 1_732_640_101_654_321, ImmutableArray<Transport> transports = default)
        => new(
            source == "null" ? IPAddressValue.None : IPAddressValue.Parse(source),
            destination == "null" ? IPAddressValue.None : IPAddressValue.Parse(destination),
            app, port, count, first, last, rule, transports.IsDefault ? [Transport.Tcp] : transports);

    [Fact]
    public void The_required_attributes_carry_the_rows_values()
    {
        var row = Row(Ssl);
        var document = OcsfSchema.Document(row);
        Assert.Equal(1, (int)document["activity_id"]!);
        Assert.Equal(2, (int)document["category_uid"]!);
        Assert.Equal(2004, (int)document["class_uid"]!);
        Assert.Equal(200401, (int)document["type_uid"]!);
        Assert.Equal(row.LastTimeMicroseconds / 1000, (long)document["time"]!);
        Assert.Equal(row.FirstTimeMicroseconds / 1000, (long)document["start_time"]!);
        Assert.Equal(row.LastTimeMicroseconds / 1000, (long)document["end_time"]!);
        Assert.Equal(row.Count, (long)document["count"]!);
        Assert.Equal(row.Message, (string)document["message"]!);
        Assert.Equal(row.RiskScore, (int)document["risk_score"]!);
        Assert.Equal(1, (int)document["status_id"]!);
        Assert.Equal("1.8.0", (string)document["metadata"]!["version"]!);
        var product = document["metadata"]!["product"]!;
        Assert.Equal(OcsfWriterOptions.Default.ProductName, (string)product["name"]!);
        Assert.Equal(OcsfWriterOptions.Default.VendorName, (string)product["vendor_name"]!);
        Assert.Equal(typeof(OcsfFindingWriter).Assembly.GetName().Version!.ToString(3), (string)product["version"]!);
        var info = document["finding_info"]!;
        Assert.Equal(FindingId.Compute(row), (string)info["uid"]!);
        Assert.Equal(Ssl.Name, (string)info["title"]!);
        Assert.Equal(Ssl.Id, (string)info["analytic"]!["uid"]!);
        Assert.Equal(Ssl.Name, (string)info["analytic"]!["name"]!);
        Assert.Equal(1, (int)info["analytic"]!["type_id"]!);
    }

    [Fact]
    public void The_evidence_is_the_flow_one_per_transport()
    {
        var row = Row(Ssl, source: "2001:db8::1", destination: "2001:db8::66", port: 65535, transports: [Transport.Unknown, Transport.Tcp, Transport.Udp, Transport.Other]);
        var evidences = OcsfSchema.Document(row)["evidences"]!.AsArray();
        Assert.Equal(4, evidences.Count);
        foreach (var evidence in evidences)
        {
            Assert.Equal(row.SourceAddress.ToString(), (string)evidence!["src_endpoint"]!["ip"]!);
            Assert.Equal(row.DestinationAddress.ToString(), (string)evidence["dst_endpoint"]!["ip"]!);
            Assert.Equal(65535, (int)evidence["dst_endpoint"]!["port"]!);
            Assert.Equal(6, (int)evidence["connection_info"]!["protocol_ver_id"]!);
            Assert.Equal(0, (int)evidence["connection_info"]!["direction_id"]!);
            Assert.Equal(row.App, (string)evidence["data"]!["app_protocol_name"]!);
        }

        string?[] names = [.. evidences.Select(e => (string?)e!["connection_info"]!["protocol_name"])];
        int?[] numbers = [.. evidences.Select(e => (int?)e!["connection_info"]!["protocol_num"])];
        Assert.Equal([null, "tcp", "udp", null], names);
        Assert.Equal([null, 6, 17, null], numbers);
    }

    [Fact]
    public void An_absent_source_has_no_src_endpoint_and_an_absent_destination_keeps_its_port_in_unmapped()
    {
        var document = OcsfSchema.Document(Row(Ssl, source: "null", port: 0));
        var evidence = document["evidences"]![0]!;
        Assert.Null(evidence["src_endpoint"]);
        Assert.Equal(0, (int)evidence["dst_endpoint"]!["port"]!);
        Assert.Null(document["unmapped"]!["dest_port"]);
        Assert.Equal(4, (int)evidence["connection_info"]!["protocol_ver_id"]!);

        document = OcsfSchema.Document(Row(Ssl, destination: "null", port: 8443));
        evidence = document["evidences"]![0]!;
        Assert.Null(evidence["dst_endpoint"]);
        Assert.Equal(8443, (int)document["unmapped"]!["dest_port"]!);
    }

    [Fact]
    public void Escaped_app_text_is_kept_exactly()
    {
        const string App = "x\\x5cy\\x00\"ü";
        var document = OcsfSchema.Document(Row(Ssl, app: App));
        Assert.Equal(App, (string)document["evidences"]![0]!["data"]!["app_protocol_name"]!);
        Assert.StartsWith(App + " on tcp/4444", (string)document["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void A_late_row_is_an_update_of_its_window_and_carries_its_own_count()
    {
        var window = Row(Ssl, count: 5);
        var onTime = new MismatchRow(window.SourceAddress, window.DestinationAddress, "ssl", 4444, 5, 1_000_000, 2_000_000, Ssl, [Transport.Tcp])
        {
            WindowStartMicroseconds = 0,
            WindowEndMicroseconds = 900_000_000,
        };
        var late = new MismatchRow(window.SourceAddress, window.DestinationAddress, "ssl", 4444, 2, 3_000_000, 4_000_000, Ssl, [Transport.Tcp])
        {
            WindowStartMicroseconds = 0,
            WindowEndMicroseconds = 900_000_000,
            IsLate = true,
        };
        var documents = OcsfSchema.Documents([onTime, late]);
        Assert.Equal([1, 2], documents.Select(d => (int)d["activity_id"]!));
        Assert.Equal([200401, 200402], documents.Select(d => (int)d["type_uid"]!));
        Assert.Equal(["Create", "Update"], documents.Select(d => (string)d["activity_name"]!));
        Assert.Equal([5L, 2L], documents.Select(d => (long)d["count"]!));
        Assert.Equal((string)documents[0]["finding_info"]!["uid"]!, (string)documents[1]["finding_info"]!["uid"]!);
        Assert.Equal([false, true], documents.Select(d => (bool)d["unmapped"]!["late"]!));
        Assert.Equal([0L, 0L], documents.Select(d => (long)d["unmapped"]!["window_start_us"]!));
        Assert.Equal([900_000_000L, 900_000_000L], documents.Select(d => (long)d["unmapped"]!["window_end_us"]!));
    }

    [Fact]
    public void A_partial_row_is_a_create_flagged_partial_and_without_a_window_has_no_window_bounds()
    {
        var document = OcsfSchema.Document(new MismatchRow(IPAddressValue.Parse("10.0.0.1"), IPAddressValue.Parse("10.0.0.2"), "dns", 5353, 7, 1, 2, null, [Transport.Udp]) { IsPartial = true });
        Assert.Equal(1, (int)document["activity_id"]!);
        Assert.True((bool)document["unmapped"]!["partial"]!);
        Assert.Null(document["unmapped"]!["window_start_us"]);
        Assert.Null(document["unmapped"]!["window_end_us"]);
    }

    [Fact]
    public void The_uid_is_equal_for_equal_keys_and_windows_whatever_the_count_times_and_flags()
    {
        var a = Row(Ssl, count: 1, first: 10, last: 20);
        var b = new MismatchRow(a.SourceAddress, a.DestinationAddress, a.App, a.DestinationPort, 99, 30, 40, Ssl, [Transport.Udp]) { IsPartial = true, IsLate = true };
        var c = Row(Ssl, port: 4445);
        var documents = OcsfSchema.Documents([a, b, c]);
        var uids = documents.Select(d => (string)d["finding_info"]!["uid"]!).ToList();
        Assert.Equal(uids[0], uids[1]);
        Assert.NotEqual(uids[0], uids[2]);
    }

    [Fact]
    public void A_rerun_writes_byte_identical_documents()
    {
        const int Seed = 190_002;
        List<MismatchRow> Rows()
        {
            var random = new RandomRows(Seed);
            return [.. Enumerable.Range(0, 300).Select(_ => random.Next())];
        }

        Assert.Equal(OcsfSchema.Write(Rows()), OcsfSchema.Write(Rows()));
    }

    [Theory]
    [InlineData(1_732_640_101_654_321, 1_732_640_101_654)]
    [InlineData(999, 0)]
    [InlineData(0, 0)]
    [InlineData(-1, -1)]
    [InlineData(-1000, -1)]
    [InlineData(-1001, -2)]
    [InlineData(long.MinValue, -9_223_372_036_854_776)]
    [InlineData(long.MaxValue, 9_223_372_036_854_775)]
    public void Microseconds_become_milliseconds_rounded_down(long microseconds, long milliseconds)
    {
        Assert.Equal(milliseconds, OcsfFindingWriter.Milliseconds(microseconds));
        Assert.Equal((long)Math.Floor(microseconds / 1000m), OcsfFindingWriter.Milliseconds(microseconds));
    }

    [Theory]
    [InlineData(0, 1, "Informational")]
    [InlineData(20, 1, "Informational")]
    [InlineData(21, 2, "Low")]
    [InlineData(25, 2, "Low")]
    [InlineData(40, 2, "Low")]
    [InlineData(41, 3, "Medium")]
    [InlineData(60, 3, "Medium")]
    [InlineData(61, 4, "High")]
    [InlineData(80, 4, "High")]
    [InlineData(81, 5, "Critical")]
    [InlineData(100, 5, "Critical")]
    public void Severity_follows_the_risk_score_in_bands_of_20(int risk, int severityId, string severity)
    {
        var rule = new DetectionRule("r", "R", ["ssl"], PortSet.Parse("443")) { RiskScore = risk };
        var document = OcsfSchema.Document(Row(rule));
        Assert.Equal(severityId, (int)document["severity_id"]!);
        Assert.Equal(severity, (string)document["severity"]!);
    }

    [Fact]
    public void A_row_without_a_rule_is_informational_with_the_search_as_analytic_and_no_attacks()
    {
        var document = OcsfSchema.Document(Row(null, app: "http"));
        Assert.Equal(1, (int)document["severity_id"]!);
        Assert.Null(document["risk_score"]);
        Assert.Null(document["finding_info"]!["attacks"]);
        Assert.Null(document["finding_info"]!["analytic"]!["uid"]);
        Assert.Equal("Protocol or Port Mismatch", (string)document["finding_info"]!["analytic"]!["name"]!);
        Assert.Contains("http", (string)document["finding_info"]!["title"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void Attacks_follow_the_rules_technique_ids_in_order_unknown_ones_by_id_alone()
    {
        var rule = new DetectionRule("r", "R", ["ssl"], PortSet.Parse("443")) { Techniques = ["T1571", "T1048.003", "T9999", "T9999.001", "AML.T0011.000", "odd.id"] };
        var attacks = OcsfSchema.Document(Row(rule))["finding_info"]!["attacks"]!.AsArray();
        Assert.Equal(rule.Techniques.Length, attacks.Count);

        Assert.Equal("T1571", (string)attacks[0]!["technique"]!["uid"]!);
        Assert.Equal("Non-Standard Port", (string)attacks[0]!["technique"]!["name"]!);
        Assert.Equal("TA0011", (string)attacks[0]!["tactic"]!["uid"]!);
        Assert.Null(attacks[0]!["sub_technique"]);

        Assert.Equal("T1048", (string)attacks[1]!["technique"]!["uid"]!);
        Assert.Equal("T1048.003", (string)attacks[1]!["sub_technique"]!["uid"]!);
        Assert.Equal("TA0010", (string)attacks[1]!["tactic"]!["uid"]!);
        Assert.NotNull(attacks[1]!["sub_technique"]!["name"]);

        Assert.Equal("""{"technique":{"uid":"T9999"}}""", attacks[2]!.ToJsonString());
        Assert.Equal("""{"technique":{"uid":"T9999"},"sub_technique":{"uid":"T9999.001"}}""", attacks[3]!.ToJsonString());
        Assert.Equal("""{"technique":{"uid":"AML.T0011"},"sub_technique":{"uid":"AML.T0011.000"}}""", attacks[4]!.ToJsonString());
        Assert.Equal("""{"technique":{"uid":"odd.id"}}""", attacks[5]!.ToJsonString());
    }

    [Fact]
    public void Every_technique_of_the_built_in_rule_sets_has_its_name_and_tactic()
    {
        var ids = RuleSets.Parse("escu,extended,panos-appid").SelectMany(r => r.Techniques).Distinct().ToList();
        Assert.NotEmpty(ids);
        foreach (var id in ids)
        {
            Assert.True(MitreAttack.TryGet(id, out _), $"{id} of a built-in rule is not in MitreAttack's table");
            if (MitreAttack.TryGetParent(id, out var parent))
            {
                Assert.True(MitreAttack.TryGet(parent, out _), $"{parent}, the parent of {id}, is not in MitreAttack's table");
            }
        }
    }

    [Fact]
    public void The_product_options_are_written_and_blank_ones_are_refused()
    {
        var options = new OcsfWriterOptions { ProductName = "Our SIEM bridge", VendorName = "Example Corp", ProductVersion = "2.3.4" };
        var product = OcsfSchema.Document(Row(Ssl), options)["metadata"]!["product"]!;
        Assert.Equal("""{"name":"Our SIEM bridge","vendor_name":"Example Corp","version":"2.3.4"}""", product.ToJsonString());
        var error = Assert.Throws<ArgumentException>(() => new OcsfFindingWriter(new MemoryStream(), options with { VendorName = " " }));
        Assert.Contains("VendorName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stream_is_closed_on_dispose_unless_left_open()
    {
        var stream = new MemoryStream();
        new OcsfFindingWriter(stream, new OcsfWriterOptions { LeaveOpen = true }).Dispose();
        Assert.True(stream.CanWrite);
        new OcsfFindingWriter(stream).Dispose();
        Assert.False(stream.CanWrite);
    }
}
