using System.Text;

namespace PortMismatch.Detection.Tests.Filtering;

public sealed class AllowListJsonWriteTests
{
    [Fact]
    public void An_allow_list_survives_a_json_round_trip_with_every_condition()
    {
        var original = new AllowList(
        [
            new AllowListEntry("mDNS from the printers") { App = "dns", DestinationPorts = PortSet.Parse("5353"), SourceNetwork = IPNetworkValue.Parse("10.20.0.0/16"), Transport = Transport.Udp },
            new AllowListEntry("the proxy") { DestinationNetwork = IPNetworkValue.Parse("192.0.2.10/32"), DestinationPorts = PortSet.Parse("3128-3130,8080") },
            new AllowListEntry("IPv6 lab, \"quoted\" and \\ backslashed") { SourceNetwork = IPNetworkValue.Parse("2001:db8:1::/48") },
            new AllowListEntry("other transports") { Transport = Transport.Other },
            new AllowListEntry("an app with a space and =") { App = "my app=x\\x5cy" },
        ]);

        var json = AllowListJson.ToJson(original);
        var copy = AllowListJson.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Contains(AllowListJson.SchemaUrl, json, StringComparison.Ordinal);
        Assert.Equal(original.Count, copy.Count);
        for (var i = 0; i < original.Count; i++)
        {
            Assert.Equal(original[i].ToString(), copy[i].ToString());
            Assert.Equal(original[i].Comment, copy[i].Comment);
            Assert.Equal(original[i].App, copy[i].App);
            Assert.Equal(original[i].DestinationPorts, copy[i].DestinationPorts);
            Assert.Equal(original[i].SourceNetwork, copy[i].SourceNetwork);
            Assert.Equal(original[i].DestinationNetwork, copy[i].DestinationNetwork);
            Assert.Equal(original[i].Transport, copy[i].Transport);
        }
    }

    [Fact]
    public void The_built_in_benign_list_and_an_empty_list_survive_a_round_trip()
    {
        var benign = AllowListJson.Parse(Encoding.UTF8.GetBytes(AllowListJson.ToJson(AllowLists.Benign)));
        Assert.Equal(AllowLists.Benign.Select(e => e.ToString()), benign.Select(e => e.ToString()));

        var empty = AllowListJson.Parse(Encoding.UTF8.GetBytes(AllowListJson.ToJson(AllowList.Empty)));
        Assert.Empty(empty);
    }

    [Fact]
    public void Write_writes_what_ToJson_returns()
    {
        using var stream = new MemoryStream();
        AllowListJson.Write(AllowLists.Benign, stream);
        Assert.Equal(AllowListJson.ToJson(AllowLists.Benign), Encoding.UTF8.GetString(stream.ToArray()));
    }
}
