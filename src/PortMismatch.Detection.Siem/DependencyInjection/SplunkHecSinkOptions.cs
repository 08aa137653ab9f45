namespace PortMismatch.Detection.Siem;

/// <summary>
/// The Splunk HTTP Event Collector sink registered by <c>UseSplunkHec</c>, bindable from configuration: every
/// <see cref="SplunkHecOptions"/> value under the same name, and the token either given (<see cref="Token"/>) or read from an
/// environment variable (<see cref="TokenEnvironmentVariable"/>) when the sink is created.
/// </summary>
public sealed class SplunkHecSinkOptions
{
    /// <summary>Gets or sets the collector's base URL, <c>https://splunk.example:8088</c> (required).</summary>
    public string? Url { get; set; }

    /// <summary>Gets or sets the HEC token; set this or <see cref="TokenEnvironmentVariable"/>, not both.</summary>
    public string? Token { get; set; }

    /// <summary>Gets or sets the environment variable that holds the HEC token (<c>SPLUNK_HEC_TOKEN</c>); set this or <see cref="Token"/>.</summary>
    public string? TokenEnvironmentVariable { get; set; }

    /// <summary>Gets or sets <see cref="SplunkHecOptions.Index"/>.</summary>
    public string? Index { get; set; }

    /// <summary>Gets or sets <see cref="SplunkHecOptions.Source"/>.</summary>
    public string? Source { get; set; }

    /// <summary>Gets or sets <see cref="SplunkHecOptions.SourceType"/>.</summary>
    public string? SourceType { get; set; }

    /// <summary>Gets or sets <see cref="SplunkHecOptions.Host"/>.</summary>
    public string? Host { get; set; }

    /// <summary>Gets or sets <see cref="SplunkHecOptions.MaxBatchEvents"/>.</summary>
    public int MaxBatchEvents { get; set; } = Defaults.MaxBatchEvents;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.MaxBatchBytes"/>.</summary>
    public int MaxBatchBytes { get; set; } = Defaults.MaxBatchBytes;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.Gzip"/>.</summary>
    public bool Gzip { get; set; }

    /// <summary>Gets or sets <see cref="SplunkHecOptions.UseAcknowledgement"/>.</summary>
    public bool UseAcknowledgement { get; set; }

    /// <summary>Gets or sets <see cref="SplunkHecOptions.Channel"/>.</summary>
    public Guid? Channel { get; set; }

    /// <summary>Gets or sets <see cref="SplunkHecOptions.QueueCapacity"/>.</summary>
    public int QueueCapacity { get; set; } = Defaults.QueueCapacity;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.EnqueueTimeout"/>.</summary>
    public TimeSpan EnqueueTimeout { get; set; } = Defaults.EnqueueTimeout;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.MaxRetries"/>.</summary>
    public int MaxRetries { get; set; } = Defaults.MaxRetries;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.MinRetryDelay"/>.</summary>
    public TimeSpan MinRetryDelay { get; set; } = Defaults.MinRetryDelay;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.MaxRetryDelay"/>.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = Defaults.MaxRetryDelay;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.RequestTimeout"/>.</summary>
    public TimeSpan RequestTimeout { get; set; } = Defaults.RequestTimeout;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.AcknowledgementPollInterval"/>.</summary>
    public TimeSpan AcknowledgementPollInterval { get; set; } = Defaults.AcknowledgementPollInterval;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.AcknowledgementTimeout"/>.</summary>
    public TimeSpan AcknowledgementTimeout { get; set; } = Defaults.AcknowledgementTimeout;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.MaxAcknowledgementResends"/>.</summary>
    public int MaxAcknowledgementResends { get; set; } = Defaults.MaxAcknowledgementResends;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.FlushTimeout"/>.</summary>
    public TimeSpan FlushTimeout { get; set; } = Defaults.FlushTimeout;

    /// <summary>Gets or sets <see cref="SplunkHecOptions.Handler"/> (not from configuration: a proxy or a test server).</summary>
    public HttpMessageHandler? Handler { get; set; }

    private static SplunkHecOptions Defaults { get; } = new(new Uri("http://localhost/"), "-");

    /// <summary>The token as configured: <see cref="Token"/>, or the value of <see cref="TokenEnvironmentVariable"/> (null when unset or empty).</summary>
    internal string? ResolveToken() => Token ?? (TokenEnvironmentVariable is { Length: > 0 } variable
        ? Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null
        : null);

    /// <summary>The sink options these values make with <paramref name="token"/> (the URL must be valid).</summary>
    internal SplunkHecOptions ToOptions(string token) => new(new Uri(Url!, UriKind.Absolute), token)
    {
        Index = Index,
        Source = Source,
        SourceType = SourceType,
        Host = Host,
        MaxBatchEvents = MaxBatchEvents,
        MaxBatchBytes = MaxBatchBytes,
        Gzip = Gzip,
        UseAcknowledgement = UseAcknowledgement,
        Channel = Channel,
        QueueCapacity = QueueCapacity,
        EnqueueTimeout = EnqueueTimeout,
        MaxRetries = MaxRetries,
        MinRetryDelay = MinRetryDelay,
        MaxRetryDelay = MaxRetryDelay,
        RequestTimeout = RequestTimeout,
        AcknowledgementPollInterval = AcknowledgementPollInterval,
        AcknowledgementTimeout = AcknowledgementTimeout,
        MaxAcknowledgementResends = MaxAcknowledgementResends,
        FlushTimeout = FlushTimeout,
        Handler = Handler,
    };
}
