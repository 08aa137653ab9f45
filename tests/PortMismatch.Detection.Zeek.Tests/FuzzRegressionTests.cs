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

        Assert.Equal((ZeekFormatError.MissingColumns, 4L), (error.Error, error.LineNumber));
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
}
