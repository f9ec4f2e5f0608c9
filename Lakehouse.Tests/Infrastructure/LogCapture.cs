using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Tests.Infrastructure;

/// <summary>Keeps one host's log messages in memory, so a test can see what that host (and no other) said.</summary>
public sealed class LogCapture : ILoggerProvider
{
    readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyCollection<string> Messages => _messages;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    sealed class Logger(LogCapture capture) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) capture._messages.Enqueue(exception is null ? formatter(state, exception) : $"{formatter(state, exception)}\n{exception}");
        }
    }
}
