using Microsoft.Extensions.Options;
using PortMismatch.Detection;
using PortMismatch.Detection.Siem;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Writes or sends the detection's rows in a SIEM's own schema.</summary>
public static partial class SiemDetectionBuilderExtensions
{
    // One delegate instance, so that a second UseEcsOutput call recognises its own registration.
    private static readonly Func<IServiceProvider, EcsAlertWriter> EcsWriterFactory = static provider =>
    {
        var options = provider.GetRequiredService<IOptions<EcsOutputOptions>>().Value;
        var file = new FileStream(options.Path!, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new EcsAlertWriter(file, options.ToWriterOptions());
    };

    /// <summary>
    /// Registers an <see cref="EcsAlertWriter"/> that appends one ECS alert document per row to
    /// <see cref="EcsOutputOptions.Path"/> as the detection's <see cref="IMismatchRowSink"/>. The options are validated
    /// when the host starts. Calling it again only adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The detection builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another <see cref="IMismatchRowSink"/> is already registered.</exception>
    public static PortMismatchDetectionBuilder UseEcsOutput(this PortMismatchDetectionBuilder builder, Action<EcsOutputOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var existing = services.LastOrDefault(static d => d.ServiceType == typeof(IMismatchRowSink));
        if (existing is not null && !ReferenceEquals(existing.ImplementationFactory, EcsWriterFactory))
        {
            throw new InvalidOperationException(
                $"UseEcsOutput registers the ECS alert writer as the IMismatchRowSink, but {EcsDescribe(existing)} is already registered as one; "
                + "the detection writes to one sink: remove the other registration or do not call UseEcsOutput.");
        }

        services.AddOptions<EcsOutputOptions>().Configure(configure ?? (static _ => { })).ValidateOnStart();
        if (existing is null)
        {
            services.AddSingleton<IValidateOptions<EcsOutputOptions>, EcsOutputOptionsValidator>();
            services.AddSingleton<IMismatchRowSink>(EcsWriterFactory);
        }

        return builder;
    }

    private static string EcsDescribe(ServiceDescriptor descriptor)
    {
        var type = descriptor.ImplementationType ?? descriptor.ImplementationInstance?.GetType();
        return type is not null ? type.FullName ?? type.Name : "a sink made by a factory";
    }

    private sealed class EcsOutputOptionsValidator : IValidateOptions<EcsOutputOptions>
    {
        public ValidateOptionsResult Validate(string? name, EcsOutputOptions options)
        {
            var failures = new List<string>();
            if (string.IsNullOrWhiteSpace(options.Path))
            {
                failures.Add("EcsOutputOptions.Path is not set: give the file the ECS alert documents are appended to.");
            }
            else if (System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path)) is { } folder && !Directory.Exists(folder))
            {
                failures.Add($"EcsOutputOptions.Path '{options.Path}': the folder '{folder}' does not exist.");
            }

            try
            {
                options.ToWriterOptions().Validate();
            }
            catch (ArgumentException e)
            {
                failures.Add(e.Message.Replace("EcsWriterOptions.", "EcsOutputOptions.", StringComparison.Ordinal));
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
