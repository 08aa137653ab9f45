using System.Text;

namespace PortMismatch.Detection.Suricata.Tests;

public sealed class FlowIdTests
{
    [Fact]
    public void A_flow_event_carries_its_flow_id_as_decimal_text_and_an_event_without_one_has_none()
    {
        var text = "{\"timestamp\":\"2026-11-26T13:00:00.000000+0000\",\"flow_id\":1527860449851627,\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":1,\"dest_ip\":\"10.0.0.2\",\"dest_port\":2,\"proto\":\"TCP\",\"app_proto\":\"tls\"}\n"
            + "{\"timestamp\":\"2026-11-26T13:00:01.000000+0000\",\"flow_id\":\"12\",\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":1,\"dest_ip\":\"10.0.0.2\",\"dest_port\":2,\"proto\":\"TCP\",\"app_proto\":\"tls\"}\n"
            + "{\"timestamp\":\"2026-11-26T13:00:02.000000+0000\",\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":1,\"dest_ip\":\"10.0.0.2\",\"dest_port\":2,\"proto\":\"TCP\",\"app_proto\":\"tls\"}\n";
        var state = new SuricataReaderState();
        var reader = new SuricataEveReader(Encoding.UTF8.GetBytes(text), state);
        var ids = new List<string>();
        while (reader.TryRead(out var record))
        {
            ids.Add(Encoding.UTF8.GetString(record.FlowId));
        }

        Assert.Equal(["1527860449851627", string.Empty, string.Empty], ids);
    }
}
