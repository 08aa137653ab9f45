using System.Text;
using Microsoft.Extensions.Logging;

namespace PortMismatch.Detection.Siem;

/// <summary>
/// Where and how <see cref="SplunkHecSink"/> sends rows: the HTTP Event Collector's base URL and token, the event metadata,
/// the batch, queue, retry and acknowledgement bounds. Changed with <c>with</c>; checked when a sink is created.
/// </summary>
public sealed record SplunkHecOptions
{
    /// <summary>Creates options for a collector.</summary>
    /// <param name="url">The collector's base URL, <c>https://splunk.example:8088</c>; <c>/services/collector/event</c> is appended.</param>
    /// <param name="token">The HEC token, sent as <c>Authorization: Splunk &lt;token&gt;</c>.</param>
    public SplunkHecOptions(Uri url, string token)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(token);
        Url = url;
        Token = token;
    }

    /// <summary>Gets the collector's base URL (scheme, host, port and any path prefix of a proxy in front of it).</summary>
    public Uri Url { get; init; }

    /// <summary>Gets the HEC token. It is sent in the Authorization header only: never logged, never in a message or <see cref="ToString"/>.</summary>
    public string Token { get; init; }

    /// <summary>Gets the index events go to, or <see langword="null"/> for the token's default index.</summary>
    public string? Index { get; init; }

    /// <summary>Gets the events' source, or <see langword="null"/> for the token's default.</summary>
    public string? Source { get; init; }

    /// <summary>Gets the events' sourcetype, or <see langword="null"/> for the token's default.</summary>
    public string? SourceType { get; init; }

    /// <summary>Gets the events' host, or <see langword="null"/> for the token's default (the collector's own name).</summary>
    public string? Host { get; init; }

    /// <summary>Gets the most events one request carries (default 500).</summary>
    public int MaxBatchEvents { get; init; } = 500;

    /// <summary>
    /// Gets the most bytes of events (before gzip) one request carries (default 512 KiB, below Splunk's smallest default
    /// <c>max_content_length</c>). An event larger than this alone is sent alone: HEC cannot take an event split over requests.
    /// </summary>
    public int MaxBatchBytes { get; init; } = 512 * 1024;

    /// <summary>Gets whether request bodies are gzip-compressed (<c>Content-Encoding: gzip</c>).</summary>
    public bool Gzip { get; init; }

    /// <summary>
    /// Gets whether rows count as sent only once the indexers acknowledge them (the token must have indexer acknowledgement
    /// enabled): each request carries <c>X-Splunk-Request-Channel</c>, and <c>/services/collector/ack</c> is polled.
    /// </summary>
    public bool UseAcknowledgement { get; init; }

    /// <summary>Gets the channel of <see cref="UseAcknowledgement"/>, or <see langword="null"/> for a new GUID per sink.</summary>
    public Guid? Channel { get; init; }

    /// <summary>
    /// Gets the most rows the sink holds (queued, in a request, or waiting for an acknowledgement; default 10,000): what
    /// bounds its memory while Splunk is slow or down.
    /// </summary>
    public int QueueCapacity { get; init; } = 10_000;

    /// <summary>
    /// Gets how long <see cref="SplunkHecSink.OnRow"/> waits for room when the queue is full before it drops the row
    /// (default 5 s). Once a wait has run out, rows are dropped without waiting until a slot is free again.
    /// </summary>
    public TimeSpan EnqueueTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets how often a request is repeated after a busy reply, a 5xx, a timeout or a network error before its rows count as failed (default 8).</summary>
    public int MaxRetries { get; init; } = 8;

    /// <summary>Gets the back-off before the first retry (default 1 s); it doubles for each further one, with jitter.</summary>
    public TimeSpan MinRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets the longest back-off between retries (default 30 s).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets how long one request may take before it counts as timed out and is retried (default 30 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets how often pending acknowledgements are polled (default 1 s).</summary>
    public TimeSpan AcknowledgementPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets how long a batch waits for its acknowledgement before it is sent again (default 60 s).</summary>
    public TimeSpan AcknowledgementTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets how often an unacknowledged batch is sent again before its rows count as failed (default 2).</summary>
    public int MaxAcknowledgementResends { get; init; } = 2;

    /// <summary>
    /// Gets how long <see cref="SplunkHecSink.OnCompletedAsync"/> and <see cref="SplunkHecSink.DisposeAsync"/> wait for the
    /// held rows to be delivered (default 30 s); rows still held then count as failed.
    /// </summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the handler requests go through (a proxy, a test server), or <see langword="null"/>; the sink does not dispose it.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Gets the client requests go through instead of one the sink creates, or <see langword="null"/>; the sink does not dispose it.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>Gets where failures, drops and rejected requests are reported (HEC code and text, never the token), or <see langword="null"/>.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Gets the clock of back-off, request timeouts and acknowledgement polling (tests use a fake one).</summary>
    internal TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Returns the options without the token.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder("SplunkHecOptions { Url = ").Append(Url).Append(", Token = (hidden)");
        Append(text, "Index", Index);
        Append(text, "Source", Source);
        Append(text, "SourceType", SourceType);
        Append(text, "Host", Host);
        return text.Append(", Gzip = ").Append(Gzip).Append(", UseAcknowledgement = ").Append(UseAcknowledgement).Append(" }").ToString();

        static void Append(StringBuilder text, string name, string? value)
        {
            if (value is not null)
            {
                text.Append(", ").Append(name).Append(" = ").Append(value);
            }
        }
    }

    /// <summary>The problems of these options, each naming its setting (<paramref name="prefix"/> before the name); empty when they are valid.</summary>
    internal List<string> Problems(string prefix)
    {
        var problems = new List<string>();
        if (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{prefix}Url '{Url}' is not an absolute http or https URL (the collector's base URL, https://splunk.example:8088).");
        }
        else if (Url.AbsolutePath.Contains("/services/collector", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{prefix}Url '{Url}' names an endpoint: give the collector's base URL (https://splunk.example:8088); /services/collector/event is appended.");
        }

        if (string.IsNullOrWhiteSpace(Token))
        {
            problems.Add($"{prefix}Token is empty.");
        }
        else if (Token.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            problems.Add($"{prefix}Token holds a line break.");
        }

        Positive(problems, prefix, "MaxBatchEvents", MaxBatchEvents);
        Positive(problems, prefix, "MaxBatchBytes", MaxBatchBytes);
        Positive(problems, prefix, "QueueCapacity", QueueCapacity);
        if (MaxRetries < 0)
        {
            problems.Add($"{prefix}MaxRetries is {MaxRetries}; it must be 0 or more.");
        }

        if (MaxAcknowledgementResends < 0)
        {
            problems.Add($"{prefix}MaxAcknowledgementResends is {MaxAcknowledgementResends}; it must be 0 or more.");
        }

        NotNegative(problems, prefix, "EnqueueTimeout", EnqueueTimeout);
        NotNegative(problems, prefix, "MinRetryDelay", MinRetryDelay);
        if (MaxRetryDelay < MinRetryDelay)
        {
            problems.Add($"{prefix}MaxRetryDelay is {MaxRetryDelay}; it must not be below MinRetryDelay ({MinRetryDelay}).");
        }

        Positive(problems, prefix, "RequestTimeout", RequestTimeout);
        Positive(problems, prefix, "AcknowledgementPollInterval", AcknowledgementPollInterval);
        Positive(problems, prefix, "AcknowledgementTimeout", AcknowledgementTimeout);
        NotNegative(problems, prefix, "FlushTimeout", FlushTimeout);
        if (Handler is not null && HttpClient is not null)
        {
            problems.Add($"{prefix}Handler and {prefix}HttpClient are both set: give one of them.");
        }

        return problems;
    }

    private static void Positive(List<string> problems, string prefix, string name, int value)
    {
        if (value <= 0)
        {
            problems.Add($"{prefix}{name} is {value}; it must be at least 1.");
        }
    }

    private static void Positive(List<string> problems, string prefix, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan)
        {
            problems.Add($"{prefix}{name} is {value}; it must be more than zero (and finite).");
        }
    }

    private static void NotNegative(List<string> problems, string prefix, string name, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            problems.Add($"{prefix}{name} is {value}; it must not be negative.");
        }
    }
}
