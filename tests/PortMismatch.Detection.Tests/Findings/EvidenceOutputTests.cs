using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace PortMismatch.Detection.Tests.Findings;

public sealed class EvidenceOutputTests
{
    private static MismatchRow Row(MismatchEvidence? evidence) =>
        new(IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("192.0.2.66"), "ssl", 4444, 3, 1_700_000_000_000_000, 1_700_000_360_500_000, RuleSet.Escu[2], [Transport.Tcp])
        {
            Evidence = evidence,
        };

    private static string Write(MismatchRow row)
    {
        using var stream = new MemoryStream();
        using (var writer = new JsonLinesRowWriter(stream))
        {
            writer.OnRow(row);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static MismatchEvidence Sample() => new(
        2,
        new EvidenceField(EvidenceField.CommunityIdName, [new EvidenceValue("1:wCb3OG7yAFWelaUydu0D+125CLM=", 2)], 0),
        [
            new EvidenceField("tls.server_name", [new EvidenceValue("<script>\"x\"</script>", 1), new EvidenceValue("evil.example", 1)], 3),
            new EvidenceField("http.user_agent", [new EvidenceValue("curl/8.0", 2)], 0),
        ]);

    [Fact]
    public void A_row_without_evidence_is_written_as_before()
    {
        var line = Write(Row(null));

        Assert.DoesNotContain("evidence", line, StringComparison.Ordinal);
        Assert.EndsWith("\"message\":\"ssl on tcp/4444 from 10.1.0.13 to 192.0.2.66; expected ports 443, 8443\"}\n", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Evidence_is_the_last_key_with_values_counts_and_the_other_counts()
    {
        var line = Write(Row(Sample()));
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;

        Assert.Equal("evidence", root.EnumerateObject().Last().Name);
        var evidence = root.GetProperty("evidence");
        Assert.Equal(2, evidence.GetProperty("flows").GetInt64());
        var id = Assert.Single(evidence.GetProperty("community_id").EnumerateArray().ToList());
        Assert.Equal(("1:wCb3OG7yAFWelaUydu0D+125CLM=", 2L), (id.GetProperty("value").GetString(), id.GetProperty("count").GetInt64()));
        var names = evidence.GetProperty("fields").GetProperty("tls.server_name").EnumerateArray().Select(v => (v.GetProperty("value").GetString(), v.GetProperty("count").GetInt64())).ToList();
        Assert.Equal([("<script>\"x\"</script>", 1L), ("evil.example", 1L)], names);
        Assert.Equal(3, evidence.GetProperty("other").GetProperty("tls.server_name").GetInt64());
        Assert.False(evidence.GetProperty("other").TryGetProperty("http.user_agent", out _));

        // Markup never appears raw in the line (the JSON encoder escapes < and >).
        Assert.DoesNotContain("<script>", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Evidence_without_other_counts_or_community_ids_omits_those_keys()
    {
        var line = Write(Row(new MismatchEvidence(1, null, [new EvidenceField("dns.query", [new EvidenceValue("x.example", 1)], 0)])));
        using var document = JsonDocument.Parse(line);
        var evidence = document.RootElement.GetProperty("evidence");

        Assert.False(evidence.TryGetProperty("other", out _));
        Assert.False(evidence.TryGetProperty("community_id", out _));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\tb", "a\\x09b")]
    [InlineData("a\u007fb", "a\\x7fb")]
    [InlineData("caf\u00e9", "caf\u00e9")]
    public void Values_are_escaped_as_Zeek_prints_text(string raw, string expected)
    {
        Assert.Equal(expected, EvidenceJoin.EscapeValue(Encoding.UTF8.GetBytes(raw), 256));
    }

    [Fact]
    public void Invalid_utf8_is_escaped_and_a_long_value_is_cut_on_a_character()
    {
        Assert.Equal("a\\xffb", EvidenceJoin.EscapeValue([(byte)'a', 0xFF, (byte)'b'], 256));
        var cut = EvidenceJoin.EscapeValue(Encoding.UTF8.GetBytes(new string('\u00e9', 40)), 16);
        Assert.Equal(new string('\u00e9', 6) + "...", cut);
        Assert.True(Encoding.UTF8.GetByteCount(cut) <= 16);
    }
}
