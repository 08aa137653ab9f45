namespace PortMismatch.Detection.Tests.Filtering;

/// <summary>The built-in <c>benign</c> allow-list: each entry removes the rows it documents and nothing next to them.</summary>
public sealed class BenignAllowListTests
{
    // The documented cases (README, docs/rules/README.md), each with the entry that must remove it; written here, not
    // read from the list.
    public static TheoryData<string, string, int, Transport, string> Allowed() => new()
    {
        { "dns", "224.0.0.251", 5353, Transport.Udp, "mDNS" },
        { "DNS", "224.0.0.251", 5353, Transport.Udp, "mDNS" },
        { "dns", "224.0.0.252", 5355, Transport.Udp, "LLMNR" },
        { "dns", "10.0.0.9", 5355, Transport.Tcp, "LLMNR" },
        { "dns", "10.0.0.255", 137, Transport.Udp, "NetBIOS name service" },
        { "ssl", "142.250.1.188", 5228, Transport.Tcp, "Google push" },
        { "ssl", "142.250.1.188", 5230, Transport.Tcp, "Google push" },
        { "tls", "142.250.1.188", 5229, Transport.Tcp, "Google push" },
        { "ssl", "17.57.144.10", 5223, Transport.Tcp, "Apple Push" },
        { "tls", "17.57.144.10", 5223, Transport.Tcp, "Apple Push" },
        { "http", "10.0.0.20", 631, Transport.Tcp, "Internet Printing Protocol" },
    };

    // Next to each entry: another port, app, transport or destination. None is removed.
    public static TheoryData<string, string, int, Transport> NotAllowed() => new()
    {
        { "dns", "224.0.0.251", 5353, Transport.Tcp },
        { "dns", "224.0.0.251", 5354, Transport.Udp },
        { "dns", "10.0.0.255", 137, Transport.Tcp },
        { "dns", "10.0.0.255", 138, Transport.Udp },
        { "dns", "10.0.0.1", 53, Transport.Udp },
        { "dns", "10.0.0.1", 5300, Transport.Udp },
        { "ssl", "142.250.1.188", 5227, Transport.Tcp },
        { "ssl", "142.250.1.188", 5231, Transport.Tcp },
        { "ssl", "142.250.1.188", 5228, Transport.Udp },
        { "http", "142.250.1.188", 5228, Transport.Tcp },
        { "ssl", "18.0.0.1", 5223, Transport.Tcp },
        { "ssl", "16.255.255.255", 5223, Transport.Tcp },
        { "http", "17.57.144.10", 5223, Transport.Tcp },
        { "ssl", "10.0.0.20", 631, Transport.Tcp },
        { "http", "10.0.0.20", 632, Transport.Tcp },
        { "smtp", "10.0.0.20", 2525, Transport.Tcp },
        { "ssl", "203.0.113.66", 4444, Transport.Tcp },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void Each_entry_removes_the_case_it_documents(string app, string destination, int port, Transport transport, string comment)
    {
        var index = AllowLists.Benign.IndexOfMatch(Row(app, destination, port, transport));

        Assert.True(index >= 0, $"{app} {port} {transport} to {destination} is not removed");
        Assert.StartsWith(comment, AllowLists.Benign[index].Comment, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(NotAllowed))]
    public void Rows_next_to_an_entry_are_kept(string app, string destination, int port, Transport transport)
        => Assert.Equal(-1, AllowLists.Benign.IndexOfMatch(Row(app, destination, port, transport)));

    [Fact]
    public void Every_entry_is_exercised_by_a_documented_case()
    {
        var used = Allowed().Select(c => AllowLists.Benign.IndexOfMatch(Row(c.Data.Item1, c.Data.Item2, c.Data.Item3, c.Data.Item4))).ToHashSet();

        Assert.Equal(Enumerable.Range(0, AllowLists.Benign.Count), used.Order());
    }

    [Fact]
    public void Escu_rows_on_a_zeek_like_log_lose_exactly_the_benign_ones_and_the_pipeline_counts_them()
    {
        var rows = new[]
        {
            Row("dns", "224.0.0.251", 5353, Transport.Udp), Row("dns", "10.0.0.255", 137, Transport.Udp),
            Row("ssl", "142.250.1.188", 5228, Transport.Tcp), Row("ssl", "203.0.113.66", 4444, Transport.Tcp),
            Row("dns", "198.51.100.7", 5300, Transport.Udp),
        };

        var kept = rows.Where(r => AllowLists.Benign.IndexOfMatch(r) < 0).Select(r => $"{r.App} {r.DestinationPort}").ToArray();

        Assert.Equal(["ssl 4444", "dns 5300"], kept);
    }

    [Theory]
    [InlineData("benign")]
    [InlineData(" BENIGN ")]
    public void The_name_selects_the_list(string name)
    {
        Assert.Same(AllowLists.Benign, AllowLists.Parse(name));
        Assert.True(AllowLists.TryGet(name, out var list));
        Assert.Same(AllowLists.Benign, list);
    }

    [Fact]
    public void A_selection_combines_the_list_with_a_file_and_an_unknown_name_is_refused()
    {
        var file = Path.Combine(Path.GetTempPath(), $"allow-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{ "allow": [ { "comment": "our proxy", "app": "http", "ports": [3128] } ] }""");
        try
        {
            var combined = AllowLists.Parse($"benign,{file}");
            Assert.Equal(AllowLists.Benign.Count + 1, combined.Count);
            Assert.Equal("our proxy", combined[combined.Count - 1].Comment);
        }
        finally
        {
            File.Delete(file);
        }

        var error = Assert.Throws<ConfigurationFormatException>(() => AllowLists.Parse("benign,bening"));
        Assert.Contains("Unknown allow-list 'bening'", error.Message, StringComparison.Ordinal);
        Assert.Throws<ConfigurationFormatException>(() => AllowLists.Parse("benign,,x.json"));
    }

    private static MismatchRow Row(string app, string destination, int port, Transport transport)
        => new(IPAddressValue.Parse("10.0.0.5"), IPAddressValue.Parse(destination), app, port, 1, 0, 0, null, [transport]);
}
