using Microsoft.Extensions.DependencyInjection;

namespace PortMismatch.Detection;

/// <summary>
/// Returned by <c>AddPortMismatchDetection</c>; the adapter packages extend it with their sources
/// (<c>AddZeek()</c>, <c>AddPanOs()</c>, <c>AddIpfix()</c>).
/// </summary>
public sealed class PortMismatchDetectionBuilder
{
    internal PortMismatchDetectionBuilder(IServiceCollection services) => Services = services;

    /// <summary>Gets the service collection the detection is registered in.</summary>
    public IServiceCollection Services { get; }
}
