using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PortMismatch.Detection;
using PortMismatch.Detection.Suricata;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Suricata EVE source to the detection.</summary>
public static class SuricataDetectionBuilderExtensions
{
    /// <summary>
    /// Registers one <see cref="IFlowSource"/> that reads <see cref="SuricataSourceOptions.Files"/> in order; rejected lines go to
    /// <see cref="InputDiagnosticLog"/>. The options are validated when the host starts. Idempotent: calling it again only
    /// adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The detection builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static PortMismatchDetectionBuilder AddSuricata(this PortMismatchDetectionBuilder builder, Action<SuricataSourceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<SuricataSourceOptions>().Configure(configure ?? (static _ => { })).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SuricataSourceOptions>, Validator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IFlowSource, SuricataSource>(static provider => SuricataSource.Create(
            provider.GetRequiredService<IOptions<SuricataSourceOptions>>().Value, provider.GetRequiredService<InputDiagnosticLog>())));
        return builder;
    }

    private sealed class SuricataSource(IFlowSource inner) : IFlowSource
    {
        public string Name => inner.Name;

        public InputCounters Counters => inner.Counters;

        public static SuricataSource Create(SuricataSourceOptions options, InputDiagnosticLog log)
        {
            var readerOptions = options.ToReaderOptions();
            var parts = options.Files.Select(file => SuricataEveInput.FileSource(file, readerOptions, log.Report)).ToList();
            return new SuricataSource(FlowSource.Concat("suricata eve.json files", parts));
        }

        public Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken) => inner.ReadAsync(sink, cancellationToken);
    }

    private sealed class Validator : IValidateOptions<SuricataSourceOptions>
    {
        public ValidateOptionsResult Validate(string? name, SuricataSourceOptions options)
        {
            var failures = new List<string>();
            if (options.Files.Count == 0)
            {
                failures.Add("SuricataSourceOptions.Files is empty: list the eve.json files to read.");
            }

            foreach (var file in options.Files)
            {
                if (!File.Exists(file))
                {
                    failures.Add($"SuricataSourceOptions.Files: '{file}' does not exist.");
                }
            }

            try
            {
                _ = new SuricataReaderState(options.ToReaderOptions());
            }
            catch (ArgumentException e)
            {
                failures.Add($"SuricataSourceOptions does not make valid reader options: {e.Message}");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
