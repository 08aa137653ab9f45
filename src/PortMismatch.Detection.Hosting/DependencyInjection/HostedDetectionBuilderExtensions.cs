using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PortMismatch.Detection;
using PortMismatch.Detection.Hosting.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs the detection as a hosted service of the .NET Generic Host.</summary>
public static class HostedDetectionBuilderExtensions
{
    /// <summary>
    /// Registers an <see cref="IHostedService"/> that runs the registered <see cref="DetectionPipeline"/> over every
    /// registered <see cref="IFlowSource"/> from the host's start until it stops; stopping writes the open windows and then
    /// calls the sink's <see cref="IMismatchRowSink.OnCompletedAsync"/>. When the host starts, the options are validated as
    /// <c>AddPortMismatchDetection</c> says (the rules, the allow-list, a registered <see cref="IMismatchRowSink"/>), and
    /// at least one <see cref="IFlowSource"/> must be registered: otherwise the start fails with an
    /// <see cref="OptionsValidationException"/> that says what is missing.
    /// </summary>
    /// <remarks>
    /// The service logs the sources and the rules when it starts, each source that failed, and the counters when the run
    /// ends. When the run fails (the sink throws, a full disk; or a source throws what is not an input error) it logs the
    /// failure at <c>Critical</c> with the counters, sets <see cref="Environment.ExitCode"/> to 2 (the console tool's code for
    /// a failed run) and stops the host. When every source has been read to its end (files), the host keeps running.
    /// Idempotent.
    /// </remarks>
    /// <param name="builder">The detection builder.</param>
    /// <returns>The builder.</returns>
    public static PortMismatchDetectionBuilder AddHostedDetection(this PortMismatchDetectionBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DetectionHostedService>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PortMismatchDetectionOptions>, SourcesRegistered>());
        return builder;
    }
}
