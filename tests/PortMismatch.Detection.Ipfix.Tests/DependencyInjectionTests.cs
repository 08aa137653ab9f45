using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PortMismatch.Detection.Ipfix.Tests;

public sealed class DependencyInjectionTests
{
    [Fact]
    public async Task AddIpfix_reads_export_files_through_the_pipeline()
    {
        var data = new List<byte>();
        for (var i = 0; i < 25; i++)
        {
            data.AddRange(DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000 + i, 443));
        }

        var path = Path.Combine(Path.GetTempPath(), $"pm-ipfix-di-{Guid.NewGuid():N}.ipfix");
        await File.WriteAllBytesAsync(path, new IpfixBuilder().Template(256, DecoderTests.V4Fields).Data(256, [.. data]).Build(), TestContext.Current.CancellationToken);
        try
        {
            var services = new ServiceCollection();
            services.AddSingleton<IMismatchRowSink>(new NoRows());
            services.AddPortMismatchDetection().AddIpfix(o => o.Files.Add(path)).AddIpfix();
            using var provider = services.BuildServiceProvider();
            provider.GetRequiredService<IStartupValidator>().Validate();

            var source = Assert.Single(provider.GetServices<IFlowSource>());
            var result = await provider.GetRequiredService<DetectionPipeline>().RunAsync([source], TestContext.Current.CancellationToken);

            Assert.Empty(result.Failures);
            Assert.Equal(25, result.Counters.Input.Accepted);
            Assert.True(result.Counters.Input.IsBalanced);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AddIpfix_without_an_endpoint_or_files_fails_startup_validation()
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().AddIpfix(o =>
        {
            o.ReceiveBufferSize = 0;
            o.MaxClockSkew = TimeSpan.FromMinutes(-1);
            o.TemplateLifetime = TimeSpan.Zero;
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(e.Failures, f => f.Contains("set ListenEndPoint", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("IpfixSourceOptions.ReceiveBufferSize is 0", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("IpfixSourceOptions.MaxClockSkew is -00:01:00", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("IpfixSourceOptions.TemplateLifetime is 00:00:00; it must be positive", StringComparison.Ordinal));
    }

    private sealed class NoRows : IMismatchRowSink
    {
        public void OnRow(MismatchRow row) => Assert.Fail($"unexpected row {row}");
    }
}
