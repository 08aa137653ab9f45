namespace PortMismatch.Detection.Siem;

/// <summary>
/// The OCSF output registered by <c>UseOcsfOutput</c>: the file the findings are appended to, and every
/// <see cref="OcsfWriterOptions"/> value that configuration can hold, under the same name.
/// </summary>
public sealed class OcsfOutputOptions
{
    /// <summary>
    /// Gets or sets the file the Detection Findings are written to, one per line (required). The file is created when
    /// missing and appended to otherwise, so that a restarted host does not overwrite the findings it wrote before.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>Gets or sets <see cref="OcsfWriterOptions.ProductName"/>.</summary>
    public string ProductName { get; set; } = OcsfWriterOptions.Default.ProductName;

    /// <summary>Gets or sets <see cref="OcsfWriterOptions.VendorName"/>.</summary>
    public string VendorName { get; set; } = OcsfWriterOptions.Default.VendorName;

    /// <summary>Gets or sets <see cref="OcsfWriterOptions.ProductVersion"/>.</summary>
    public string ProductVersion { get; set; } = OcsfWriterOptions.Default.ProductVersion;

    /// <summary>The writer options these values make.</summary>
    internal OcsfWriterOptions ToWriterOptions() => new()
    {
        ProductName = ProductName,
        VendorName = VendorName,
        ProductVersion = ProductVersion,
    };
}
