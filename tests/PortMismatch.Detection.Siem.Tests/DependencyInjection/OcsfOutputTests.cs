using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PortMismatch.Detection.Siem.Tests.Ocsf;

namespace PortMismatch.Detection.Siem.Tests.DependencyInjection;

/// <summary><c>UseOcsfOutput</c> in the real container: rows reach the file, settings are checked at start, one sink only.</summary>
public sealed class OcsfOutputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ocsf-di-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Records of ssl to 203.0.113.66:4444 from 10.1.0.13, one a second from 2024-11-26T08:05:41Z.</summary>
    private static IFlowSource SslFlows(int count) => FlowSource.Create("test flows", new InputCounters(), (sink, _) =>
    {
        for (var i = 0; i < count; i++)
        {
            sink.OnRecord(new FlowRecord
            {
                TimestampMicroseconds = 1_732_608_341_000_000 + (i * 1_000_000L),
                SourceAddress = IPAddressValue.Parse("10.1.0.13"),
                DestinationAddress = IPAddressValue.Parse("203.0.113.66"),
                DestinationPort = 4444,
                Transport = Transport.Tcp,
                Apps = AppValues.FromValue("ssl"u8),
            });
        }

        return Task.CompletedTask;
    });

    private static async Task RunAsync(string path, int records)
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().UseOcsfOutput(o => o.Path = path).UseOcsfOutput(o => o.VendorName = "Example Corp");
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var result = await provider.GetRequiredService<DetectionPipeline>().RunAsync([SslFlows(records)], TestContext.Current.CancellationToken);
        Assert.Empty(result.Failures);
    }

    [Fact]
    public async Task Rows_reach_the_file_as_valid_findings_and_a_second_run_appends()
    {
        var path = Path.Combine(_folder, "findings.ocsf.jsonl");
        await RunAsync(path, 3);
        await RunAsync(path, 5);

        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        var documents = lines.Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        Assert.Equal([3L, 5L], documents.Select(d => (long)d["count"]!));
        Assert.All(documents, d => Assert.Equal(2004, (int)d["class_uid"]!));
        Assert.All(documents, d => Assert.Equal("escu-ssl", (string)d["finding_info"]!["analytic"]!["uid"]!));
        Assert.All(documents, d => Assert.Equal("Example Corp", (string)d["metadata"]!["product"]!["vendor_name"]!));
        Assert.Equal(1_732_608_341_000L, (long)documents[0]["start_time"]!);
        Assert.Equal(1_732_608_343_000L, (long)documents[0]["end_time"]!);
        Assert.Equal((string)documents[0]["finding_info"]!["uid"]!, (string)documents[1]["finding_info"]!["uid"]!);
        Assert.All(documents, d => Assert.Empty(OcsfSchema.Errors(d)));
    }

    [Theory]
    [InlineData(null, "OcsfOutputOptions.Path is not set")]
    [InlineData("", "OcsfOutputOptions.Path is not set")]
    [InlineData("no-such-folder/findings.jsonl", "OcsfOutputOptions.Path: the folder of")]
    [InlineData(".", "is a folder")]
    public void A_bad_path_stops_the_start_naming_the_setting(string? relative, string message)
    {
        var path = relative is null or "" ? relative : Path.Combine(_folder, relative);
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().UseOcsfOutput(o => o.Path = path);
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_blank_product_setting_stops_the_start_naming_it()
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().UseOcsfOutput(o =>
        {
            o.Path = Path.Combine(_folder, "f.jsonl");
            o.ProductVersion = " ";
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("OcsfOutputOptions.ProductVersion is blank", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_sink_already_registered_is_an_error_at_registration_naming_both()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null));
        var e = Assert.Throws<InvalidOperationException>(() => services.AddPortMismatchDetection().UseOcsfOutput(o => o.Path = "x"));
        Assert.Contains("UseOcsfOutput", e.Message, StringComparison.Ordinal);
        Assert.Contains("OCSF", e.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(JsonLinesRowWriter).FullName!, e.Message, StringComparison.Ordinal);
        Assert.Single(services, d => d.ServiceType == typeof(IMismatchRowSink));
    }
}
