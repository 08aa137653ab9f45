using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PortMismatch.Detection.Siem.Tests.Support;

namespace PortMismatch.Detection.Siem.Tests.DependencyInjection;

public sealed class SplunkHecDependencyInjectionTests
{
    private const string Token = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

    [Fact]
    public async Task UseSplunkHec_registers_the_sink_the_pipeline_writes_to_with_the_token_from_the_environment()
    {
        await using var server = new HecTestServer(Token);
        var variable = $"PORTMISMATCH_TEST_HEC_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, Token);
        try
        {
            var services = new ServiceCollection();
            services.AddPortMismatchDetection().UseSplunkHec(o =>
            {
                o.Url = server.Url.ToString();
                o.TokenEnvironmentVariable = variable;
                o.Index = "netsec";
            });
            SplunkHecSink sink;
            await using (var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }))
            {
                _ = provider.GetRequiredService<DetectionPipeline>();
                sink = provider.GetRequiredService<SplunkHecSink>();
                Assert.Same(sink, provider.GetRequiredService<IMismatchRowSink>());
                sink.OnRow(new MismatchRow(IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("192.0.2.66"), "ssl", 4444, 3, 1_000_000, 2_000_000, null, [Transport.Tcp]));
            }

            // Disposing the container disposed the sink, which flushed it.
            Assert.Equal(new SplunkHecCounters { Received = 1, Sent = 1, Batches = 1 }, sink.Counters);
            var hec = Assert.Single(server.Events);
            Assert.Equal("netsec", hec.GetProperty("index").GetString());
            Assert.Equal("10.1.0.13", hec.GetProperty("event").GetProperty("src_ip").GetString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void A_second_sink_is_refused_at_registration_naming_both()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null));
        var e = Assert.Throws<InvalidOperationException>(() => services.AddPortMismatchDetection().UseSplunkHec());
        Assert.Contains("UseSplunkHec", e.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(JsonLinesRowWriter).FullName!, e.Message, StringComparison.Ordinal);

        // Calling it twice is not a second sink: the options add up.
        var again = new ServiceCollection();
        again.AddPortMismatchDetection().UseSplunkHec(o => o.Url = "https://splunk.example:8088").UseSplunkHec(o => o.Token = Token);
        using var provider = again.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<SplunkHecSinkOptions>>().Value;
        Assert.Equal(("https://splunk.example:8088", Token), (options.Url, options.Token));
        Assert.Single(again, d => d.ServiceType == typeof(IMismatchRowSink));
    }

    [Theory]
    [InlineData(null, null, "SplunkHecSinkOptions.Token is not set")]
    [InlineData("secret-value-must-not-show", "SOME_VAR", "are both set")]
    [InlineData(null, "PORTMISMATCH_TEST_HEC_UNSET_VARIABLE", "environment variable PORTMISMATCH_TEST_HEC_UNSET_VARIABLE is not set")]
    public void A_missing_token_fails_validation_with_the_settings_name_not_its_value(string? token, string? variable, string expected)
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().UseSplunkHec(o =>
        {
            o.Url = "https://splunk.example:8088";
            o.Token = token;
            o.TokenEnvironmentVariable = variable;
            o.QueueCapacity = 0;
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SplunkHecSinkOptions>>().Value);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-value-must-not-show", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_bounds_and_urls_fail_validation_by_name()
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().UseSplunkHec(o =>
        {
            o.Url = "https://splunk.example:8088/services/collector/event";
            o.Token = Token;
            o.QueueCapacity = 0;
            o.MinRetryDelay = TimeSpan.FromSeconds(5);
            o.MaxRetryDelay = TimeSpan.FromSeconds(1);
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SplunkHecSinkOptions>>().Value);
        Assert.Contains("SplunkHecSinkOptions.Url", e.Message, StringComparison.Ordinal);
        Assert.Contains("SplunkHecSinkOptions.QueueCapacity", e.Message, StringComparison.Ordinal);
        Assert.Contains("SplunkHecSinkOptions.MaxRetryDelay", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, e.Message, StringComparison.Ordinal);
    }
}
