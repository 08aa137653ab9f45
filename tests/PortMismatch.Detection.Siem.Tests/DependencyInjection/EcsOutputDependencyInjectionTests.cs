using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PortMismatch.Detection.Siem.Tests.DependencyInjection;

public sealed class EcsOutputDependencyInjectionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pm-siem-ecs-di-").FullName;

    [Fact]
    public async Task UseEcsOutput_appends_one_document_per_row_to_the_file()
    {
        var path = Path.Combine(_directory, "alerts.ndjson");
        File.WriteAllText(path, "{\"kept\":true}\n"); // a restarted host appends
        var services = new ServiceCollection();
        services.AddPortMismatchDetection()
            .UseEcsOutput(o => o.Path = path)
            .UseEcsOutput(o => (o.ObserverName, o.RuleSet, o.Dataset) = ("sensor-7", "escu", "portmismatch.test"));
        IFlowSource source = Source(("ssl", 4444, "10.0.0.1"), ("ssl", 4444, "10.0.0.1"), ("dns", 5353, "10.0.0.2"), ("http", 80, "10.0.0.3"));
        await using (var provider = services.BuildServiceProvider())
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            var result = await provider.GetRequiredService<DetectionPipeline>().RunAsync([source], TestContext.Current.CancellationToken);
            Assert.Equal(2, result.Counters.RowsWritten);
        }

        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        Assert.Equal("{\"kept\":true}", lines[0]);
        var documents = lines.Skip(1).Select(line => JsonDocument.Parse(line).RootElement).OrderBy(d => d.GetProperty("network").GetProperty("protocol").GetString()).ToList();
        Assert.Equal(["dns", "ssl"], documents.Select(d => d.GetProperty("network").GetProperty("protocol").GetString()));
        Assert.Equal([1L, 2L], documents.Select(d => d.GetProperty("portmismatch").GetProperty("count").GetInt64()));
        Assert.All(documents, d =>
        {
            Assert.Equal("alert", d.GetProperty("event").GetProperty("kind").GetString());
            Assert.Equal("portmismatch.test", d.GetProperty("event").GetProperty("dataset").GetString());
            Assert.Equal("sensor-7", d.GetProperty("observer").GetProperty("name").GetString());
            Assert.Equal("escu", d.GetProperty("rule").GetProperty("ruleset").GetString());
        });
    }

    [Fact]
    public void A_missing_path_or_a_bad_dataset_fails_startup_validation_by_name()
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().UseEcsOutput(o => o.Dataset = "has-dash");
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(e.Failures, f => f.StartsWith("EcsOutputOptions.Path is not set", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("EcsOutputOptions.Dataset 'has-dash'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_path_in_a_missing_folder_fails_startup_validation()
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().UseEcsOutput(o => o.Path = Path.Combine(_directory, "no-such-folder", "alerts.ndjson"));
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(e.Failures, f => f.StartsWith("EcsOutputOptions.Path '", StringComparison.Ordinal) && f.Contains("does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public void A_second_sink_is_refused_at_registration_naming_both()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null));
        var builder = services.AddPortMismatchDetection();
        var e = Assert.Throws<InvalidOperationException>(() => builder.UseEcsOutput(o => o.Path = "alerts.ndjson"));
        Assert.Contains("UseEcsOutput", e.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(JsonLinesRowWriter).FullName!, e.Message, StringComparison.Ordinal);
        Assert.Single(services, d => d.ServiceType == typeof(IMismatchRowSink));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A source of TCP records at one-second steps, counted as read and accepted as a reader counts them.</summary>
    private static IFlowSource Source(params (string App, int Port, string Source)[] records)
    {
        var counters = new InputCounters();
        return FlowSource.Create("test records", counters, (sink, _) =>
        {
            for (var i = 0; i < records.Length; i++)
            {
                counters.CountRead();
                counters.CountAccepted();
                var record = new FlowRecord
                {
                    TimestampMicroseconds = 1_700_000_000_000_000 + (i * 1_000_000L),
                    SourceAddress = IPAddressValue.Parse(records[i].Source),
                    DestinationAddress = IPAddressValue.Parse("192.0.2.1"),
                    DestinationPort = (ushort)records[i].Port,
                    Transport = Transport.Tcp,
                    Apps = AppValues.FromValue(System.Text.Encoding.UTF8.GetBytes(records[i].App)),
                };
                sink.OnRecord(record);
            }

            return Task.CompletedTask;
        });
    }
}
