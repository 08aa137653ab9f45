using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PortMismatch.Detection.Siem.Tests.Support;

/// <summary>Keeps every log line (message and exception text) for the test to read.</summary>
internal sealed class TestLogger : ILogger, ILoggerProvider, ILoggerFactory
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Lines.Enqueue($"{logLevel} {eventId.Name}: {formatter(state, exception)} {exception}");

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }
}
