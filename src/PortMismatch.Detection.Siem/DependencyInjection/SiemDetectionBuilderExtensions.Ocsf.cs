using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PortMismatch.Detection;
using PortMismatch.Detection.Siem;

namespace Microsoft.Extensions.DependencyInjection;

public static partial class SiemDetectionBuilderExtensions
{
    /// <summary>
    /// Registers an <see cref="OcsfFindingWriter"/> that appends to <see cref="OcsfOutputOptions.Path"/> as the
    /// <see cref="IMismatchRowSink"/>. The options are validated when the host starts (an <see cref="OptionsValidationException"/>
    /// naming the setting); the file is opened when the pipeline is first resolved. Idempotent: calling it again only adds
    /// <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The detection builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another <see cref="IMismatchRowSink"/> is already registered: the detection writes to one sink.</exception>
    public static PortMismatchDetectionBuilder UseOcsfOutput(this PortMismatchDetectionBuilder builder, Action<OcsfOutputOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (IsFirstSinkRegistration<OcsfOutputRegistration>(services, nameof(UseOcsfOutput), "the OCSF writer"))
        {
            services.AddSingleton<OcsfOutputRegistration>();
            services.AddSingleton<IMismatchRowSink>(static provider =>
            {
                var options = provider.GetRequiredService<IOptions<OcsfOutputOptions>>().Value;
                var file = new FileStream(options.Path!, FileMode.Append, FileAccess.Write, FileShare.Read);
                return new OcsfFindingWriter(file, options.ToWriterOptions());
            });
        }

        services.AddOptions<OcsfOutputOptions>().Configure(configure ?? (static _ => { })).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OcsfOutputOptions>, OcsfOutputOptionsValidator>());
        return builder;
    }

    /// <summary>Marks the OCSF output as registered, so that a second <c>UseOcsfOutput</c> only adds its configuration.</summary>
    private sealed class OcsfOutputRegistration;

    private sealed class OcsfOutputOptionsValidator : IValidateOptions<OcsfOutputOptions>
    {
        public ValidateOptionsResult Validate(string? name, OcsfOutputOptions options)
        {
            var failures = new List<string>();
            if (string.IsNullOrWhiteSpace(options.Path))
            {
                failures.Add("OcsfOutputOptions.Path is not set: name the file the OCSF Detection Findings are written to.");
            }
            else if (System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path)) is { } directory && !Directory.Exists(directory))
            {
                failures.Add($"OcsfOutputOptions.Path: the folder of '{options.Path}' does not exist.");
            }
            else if (Directory.Exists(options.Path))
            {
                failures.Add($"OcsfOutputOptions.Path: '{options.Path}' is a folder; name a file.");
            }

            foreach (var (value, setting) in (ReadOnlySpan<(string, string)>)[
                (options.ProductName, nameof(options.ProductName)),
                (options.VendorName, nameof(options.VendorName)),
                (options.ProductVersion, nameof(options.ProductVersion))])
            {
                if (string.IsNullOrWhiteSpace(value))
                {
                    failures.Add($"OcsfOutputOptions.{setting} is blank; OCSF metadata.product needs it.");
                }
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
