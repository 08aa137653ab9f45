using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

/// <summary>Inputs found by the AFL++ runs of issue #9 (tests/PortMismatch.Detection.Fuzz), reduced by hand.</summary>
public sealed class FuzzRegressionTests
{
    [Fact]
    public void A_path_line_that_names_conn_after_the_unusable_columns_of_another_log_is_refused()
    {
        // Found by zeek-tsv: the columns of a non-conn block are not checked (its records are skipped), and a later
        // '#path conn' in the same block used to make its records readable with no 'ts' column: IndexOutOfRangeException.
        const string Text = "#separator \\x09\n#path\tdns\n#fields\tquery\tanswers\n#path\tconn\n1.0\texample.com\n";

        var error = Assert.Throws<ZeekFormatException>(() => ZeekInput.Read(Text));

        Assert.Equal((ZeekFormatError.MissingColumns, 4L), (error.Reason, error.LineNumber));
        Assert.Contains("ts, id.orig_h", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_records_of_another_log_with_its_own_columns_are_still_skipped()
    {
        const string Text = "#separator \\x09\n#path\tdns\n#fields\tquery\tanswers\nexample.com\t-\n#path\tdns_two\nexample.org\t-\n";

        var outcome = ZeekInput.Read(Text);

        Assert.Empty(outcome.Rows);
        Assert.Equal("read 2 = accepted 0 + rejected 0 + skipped 2", outcome.Counters.ToString());
    }

    [Theory]
    [InlineData("""{"ts":5,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":25,"service":"sm\udd0074p"}""", "invalid-json")]
    [InlineData("""{"ts":5,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":25,"service":["dns","\ud800"]}""", "invalid-json")]
    [InlineData("""{"ts":5,"id.orig_h":"\udd00","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":25,"service":"dns"}""", "bad-address")]
    [InlineData("""{"ts":5,"\udd00":1,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":25,"service":"dns"}""", null)]
    public void An_escaped_lone_surrogate_rejects_its_line_and_the_next_line_is_read(string line, string? reason)
    {
        // Found by zeek-json: Utf8JsonReader reads "\udd00" but throws InvalidOperationException when unescaping it.
        const string Next = """{"ts":6,"id.orig_h":"10.0.0.3","id.orig_p":2,"id.resp_h":"10.0.0.4","id.resp_p":53,"proto":"udp","service":"dns"}""";

        var outcome = ZeekInput.Read(line + "\n" + Next + "\n");

        Assert.Equal(reason is null ? 2 : 1, outcome.Rows.Count);
        Assert.Equal(reason is null ? 0 : 1, outcome.Counters.Rejected);
        if (reason is not null)
        {
            Assert.Equal(1, outcome.Counters.RejectedByReason[reason]);
        }
    }
}
