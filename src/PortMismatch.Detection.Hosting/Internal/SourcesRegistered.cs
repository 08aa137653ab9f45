using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PortMismatch.Detection.Hosting.Internal;

/// <summary>A hosted detection without a source would start, read nothing and say nothing: that fails the host's start instead.</summary>
internal sealed class SourcesRegistered(IServiceProvider services) : IValidateOptions<PortMismatchDetectionOptions>
{
    internal const string NoSource =
        "No IFlowSource is registered: the hosted detection has nothing to read. Add a source to the detection "
        + "(AddZeek, AddPanOs or AddIpfix from their packages) or register an IFlowSource in the service collection.";

    public ValidateOptionsResult Validate(string? name, PortMismatchDetectionOptions options)
        => services.GetService<IServiceProviderIsService>() is { } registered && !registered.IsService(typeof(IFlowSource))
            ? ValidateOptionsResult.Fail(NoSource)
            : ValidateOptionsResult.Success;
}
