using PortMismatch.Detection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Makes a SIEM output of PortMismatch.Detection.Siem the detection's <see cref="IMismatchRowSink"/>: an OCSF or ECS file
/// (<c>UseOcsfOutput</c>, <c>UseEcsOutput</c>) or a Splunk HTTP Event Collector (<c>UseSplunkHec</c>).
/// </summary>
public static partial class SiemDetectionBuilderExtensions
{
    /// <summary>
    /// Whether this is the first call of a <c>Use...</c> method, marked by <typeparamref name="TMarker"/>: then it registers
    /// its sink; a later call only adds its configuration. Throws when another <see cref="IMismatchRowSink"/> is registered:
    /// the detection writes to one sink, and a second registration would be ignored or would replace the first unseen.
    /// </summary>
    private static bool IsFirstSinkRegistration<TMarker>(IServiceCollection services, string method, string sink)
    {
        if (services.Any(static d => d.ServiceType == typeof(TMarker)))
        {
            return false;
        }

        if (services.FirstOrDefault(static d => d.ServiceType == typeof(IMismatchRowSink) && !d.IsKeyedService) is { } other)
        {
            var existing = other.ImplementationType?.FullName ?? other.ImplementationInstance?.GetType().FullName ?? "one made by a factory";
            throw new InvalidOperationException(
                $"{method}() cannot register {sink} as the IMismatchRowSink: an IMismatchRowSink ({existing}) is already registered, "
                + "and the detection writes to one sink. Remove the other registration, call only one of UseOcsfOutput, UseEcsOutput "
                + "and UseSplunkHec, or register a sink of your own that forwards to both.");
        }

        return true;
    }
}
