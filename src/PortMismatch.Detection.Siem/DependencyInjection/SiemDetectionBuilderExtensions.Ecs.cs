using Microsoft.Extensions.Options;
using PortMismatch.Detection;
using PortMismatch.Detection.Siem;

namespace Microsoft.Extensions.DependencyInjection;

public static partial class SiemDetectionBuilderExtensions
{
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
        if (IsFirstSinkRegistration<EcsOutputRegistration>(services, nameof(UseEcsOutput), "the ECS alert writer"))
        {
            services.AddSingleton<EcsOutputRegistration>();
            services.AddSingleton<IValidateOptions<EcsOutputOptions>, EcsOutputOptionsValidator>();
            services.AddSingleton<IMismatchRowSink>(static provider =>
            {
                var options = provider.GetRequiredService<IOptions<EcsOutputOptions>>().Value;
                var file = new FileStream(options.Path!, FileMode.Append, FileAccess.Write, FileShare.Read);
                return new EcsAlertWriter(file, options.ToWriterOptions());
            });
        }

        services.AddOptions<EcsOutputOptions>().Configure(configure ?? (static _ => { })).ValidateOnStart();

        return builder;
    }

    /// <summary>Marks the ECS output as registered, so that a second <c>UseEcsOutput</c> only adds its configuration.</summary>
    private sealed class EcsOutputRegistration;

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
