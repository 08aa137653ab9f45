using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

public sealed class FlowIdTests
{
    private static List<string> FlowIds(string text)
    {
        var state = new ZeekReaderState();
        var reader = new ZeekConnReader(Encoding.UTF8.GetBytes(text), state);
        var ids = new List<string>();
        while (reader.TryRead(out var record))
        {
            ids.Add(Encoding.UTF8.GetString(record.FlowId));
        }

        Assert.True(state.Counters.IsBalanced);
        return ids;
    }

    [Fact]
    public void A_tsv_record_carries_its_uid()
    {
        var line = ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "2", "tcp", "ssl").Replace("CHhAvVGS1DHFjwGM9", "CaBcD1234567890xy", StringComparison.Ordinal);

        Assert.Equal(["CaBcD1234567890xy"], FlowIds(ConnLog.Header() + line));
    }

    [Fact]
    public void A_tsv_record_without_a_uid_column_or_with_an_unset_uid_has_an_empty_flow_id()
    {
        string[] fields = ["ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service"];
        var noColumn = ConnLog.Header(fields) + "1.0\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\tssl\n";
        var unset = ConnLog.Header() + ConnLog.Line("1.0", "10.0.0.1", "1", "10.0.0.2", "2", "tcp", "ssl").Replace("CHhAvVGS1DHFjwGM9", "-", StringComparison.Ordinal);

        Assert.Equal([string.Empty], FlowIds(noColumn));
        Assert.Equal([string.Empty], FlowIds(unset));
    }

    [Fact]
    public void A_json_record_carries_its_uid_and_a_non_string_uid_is_none()
    {
        var text = "{\"ts\":1.0,\"uid\":\"C4J4Th3PJpwUYZZ6gc\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":2,\"proto\":\"tcp\",\"service\":\"ssl\"}\n"
            + "{\"ts\":2.0,\"uid\":17,\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":2,\"proto\":\"tcp\"}\n"
            + "{\"ts\":3.0,\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":2,\"proto\":\"tcp\"}\n";

        Assert.Equal(["C4J4Th3PJpwUYZZ6gc", string.Empty, string.Empty], FlowIds(text));
    }
}
