namespace PortMismatch.Detection.Tests.Evaluation;

/// <summary>DETECTION.md section 3, every row, against the built-in ESCU rules.</summary>
public sealed class TruthTableTests
{
    private static readonly MismatchEvaluator Evaluator = new(RuleSet.Escu);

    public static TheoryData<string?, int?, bool> Rows()
    {
        var rows = new TheoryData<string?, int?, bool>();
        foreach (var dns in new[] { "dns", "DNS", "Dns" })
        {
            rows.Add(dns, 53, false);
            foreach (var port in new int?[] { 0, null, 52, 54, 5353, 80, 443, 65535 })
            {
                rows.Add(dns, port, true);
            }
        }

        foreach (var web in new[] { "http", "HTTP", "web-browsing", "Web-Browsing" })
        {
            foreach (var port in new int?[] { 80, 8080, 8000 })
            {
                rows.Add(web, port, false);
            }

            foreach (var port in new int?[] { 0, null, 79, 81, 443, 8079, 8081, 7999, 8001, 8443 })
            {
                rows.Add(web, port, true);
            }
        }

        foreach (var ssl in new[] { "ssl", "SSL", "sSl" })
        {
            rows.Add(ssl, 443, false);
            rows.Add(ssl, 8443, false);
            foreach (var port in new int?[] { 0, null, 442, 444, 8442, 8444, 80, 4444 })
            {
                rows.Add(ssl, port, true);
            }
        }

        foreach (var smtp in new[] { "smtp", "SMTP" })
        {
            rows.Add(smtp, 25, false);
            foreach (var port in new int?[] { 0, null, 24, 26, 465, 587 })
            {
                rows.Add(smtp, port, true);
            }
        }

        foreach (var other in new[] { "tls", "dns-base", "https", "smtp-base", "", null, "d\u00e9ns", "\u017Fsl", " dns", "dns " })
        {
            foreach (var port in new int?[] { 0, null, 53, 80, 443, 25, 4444 })
            {
                rows.Add(other, port, false);
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Single_valued_records_follow_the_truth_table(string? app, int? port, bool selected)
    {
        var record = new TestRecord(app is null ? [] : [app], port);
        Assert.Equal(selected, record.Use((in FlowRecord r) => Evaluator.IsMismatch(r)));
        Assert.Equal(selected, record.Use((in FlowRecord r) => Evaluator.Evaluate(r).IsMismatch));
    }

    [Theory]
    [InlineData(new[] { "http", "ssl" }, 8080, true)]    // ssl is off 443/8443
    [InlineData(new[] { "http", "ssl" }, 443, true)]     // http is off 80/8080/8000
    [InlineData(new[] { "dns", "dns-base" }, 53, false)]
    [InlineData(new[] { "tls", "dns" }, 5353, true)]
    [InlineData(new[] { "tls", "quic" }, 5353, false)]
    public void Multi_valued_records_are_selected_when_any_value_is(string[] apps, int port, bool selected)
        => Assert.Equal(selected, new TestRecord(apps, port).Use((in FlowRecord r) => Evaluator.IsMismatch(r)));
}
