using Microsoft.Extensions.Logging;

namespace PortMismatch.Detection;

/// <summary>
/// Logs the sources' diagnostics through an <see cref="ILogger"/> without letting hostile input flood the log: at most a
/// set number of rejected records per minute are logged as warnings, then one line says how many were left out (all are
/// still counted). Skipped records are logged at debug level under the same limit. Pass <see cref="Report"/> as the
/// adapters' diagnostics callback. Thread-safe.
/// </summary>
public sealed class InputDiagnosticLog
{
    private static readonly Action<ILogger, string, Exception?> LogRejected =
        LoggerMessage.Define<string>(LogLevel.Warning, new EventId(1, "RecordRejected"), "Rejected input record: {Diagnostic}");

    private static readonly Action<ILogger, string, Exception?> LogSkipped =
        LoggerMessage.Define<string>(LogLevel.Debug, new EventId(2, "RecordSkipped"), "Skipped input record: {Diagnostic}");

    private static readonly Action<ILogger, long, Exception?> LogSuppressed =
        LoggerMessage.Define<long>(LogLevel.Warning, new EventId(3, "DiagnosticsSuppressed"), "{Count} more input diagnostics in the last minute were counted but not logged.");

    private readonly ILogger _logger;
    private readonly int _maxPerMinute;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private long _windowStart;
    private int _logged;
    private long _suppressed;
    private long _pendingSuppressed;

    /// <summary>Creates a log.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="maxPerMinute">How many diagnostics to log per minute (0 logs none).</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for the system clock.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxPerMinute"/> is negative.</exception>
    public InputDiagnosticLog(ILogger logger, int maxPerMinute, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegative(maxPerMinute);
        _logger = logger;
        _maxPerMinute = maxPerMinute;
        _time = timeProvider ?? TimeProvider.System;
        _windowStart = _time.GetTimestamp();
    }

    /// <summary>Gets how many diagnostics were left out of the log so far (they are in the sources' counters).</summary>
    public long Suppressed
    {
        get
        {
            lock (_lock)
            {
                return _suppressed;
            }
        }
    }

    /// <summary>Logs a diagnostic, unless this minute's quota is used up.</summary>
    /// <param name="diagnostic">The diagnostic.</param>
    public void Report(InputDiagnostic diagnostic)
    {
        ArgumentNullException.ThrowIfNull(diagnostic);
        var level = diagnostic.Outcome == RecordOutcome.Rejected ? LogLevel.Warning : LogLevel.Debug;
        if (!_logger.IsEnabled(level))
        {
            return;
        }

        long suppressedBefore = 0;
        bool log;
        lock (_lock)
        {
            if (_time.GetElapsedTime(_windowStart) >= TimeSpan.FromMinutes(1))
            {
                suppressedBefore = _pendingSuppressed;
                _pendingSuppressed = 0;
                _logged = 0;
                _windowStart = _time.GetTimestamp();
            }

            log = _logged < _maxPerMinute;
            if (log)
            {
                _logged++;
            }
            else
            {
                _suppressed++;
                _pendingSuppressed++;
            }
        }

        if (suppressedBefore > 0)
        {
            LogSuppressed(_logger, suppressedBefore, null);
        }

        if (log)
        {
            (level == LogLevel.Warning ? LogRejected : LogSkipped)(_logger, diagnostic.ToString(), null);
        }
    }

}
