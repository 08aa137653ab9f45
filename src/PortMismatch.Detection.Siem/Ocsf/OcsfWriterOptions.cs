using System.Reflection;

namespace PortMismatch.Detection.Siem;

/// <summary>Options of the <see cref="OcsfFindingWriter"/>: what <c>metadata.product</c> says, and whether a stream is left open.</summary>
public sealed record OcsfWriterOptions
{
    // Before Default, which reads it: static initializers run in the order they are written.
    private static readonly string PackageVersion = typeof(OcsfWriterOptions).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Gets the options with every default.</summary>
    public static OcsfWriterOptions Default { get; } = new();

    /// <summary>Gets <c>metadata.product.name</c>; default <c>PortMismatch.Detection</c>.</summary>
    public string ProductName { get; init; } = "PortMismatch.Detection";

    /// <summary>Gets <c>metadata.product.vendor_name</c>; default <c>PortMismatch.Detection contributors</c>.</summary>
    public string VendorName { get; init; } = "PortMismatch.Detection contributors";

    /// <summary>Gets <c>metadata.product.version</c>; default the version of this package (<c>0.1.0</c>).</summary>
    public string ProductVersion { get; init; } = PackageVersion;

    /// <summary>
    /// Gets whether disposing the writer leaves a stream it was given open (standard output, a stream the caller goes on
    /// writing to). Default false.
    /// </summary>
    public bool LeaveOpen { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that is blank.</summary>
    internal void Validate()
    {
        Check(ProductName, nameof(ProductName));
        Check(VendorName, nameof(VendorName));
        Check(ProductVersion, nameof(ProductVersion));

        static void Check(string value, string name)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException($"OcsfWriterOptions.{name} is blank; OCSF metadata.product needs it.", name);
            }
        }
    }
}
