using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>One captured log line: category, level, formatted message, exception text, the scope values in force and the line's own structured values.</summary>
internal sealed record CapturedLog(string Category, LogLevel Level, string Message, string? Exception, IReadOnlyDictionary<string, string?> Scope, IReadOnlyDictionary<string, object?> Values)
{
    /// <summary>Everything of the line that could leak a secret, as one string.</summary>
    public string AllText => $"{Category} {Message} {Exception} {string.Join(" ", Scope.Select(kv => kv.Key + "=" + kv.Value))}";
}

/// <summary>Records every log line of the server with its scopes (as the console logger would show them with IncludeScopes).</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<CapturedLog> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, string?>(StringComparer.Ordinal);
            owner._scopes.ForEachScope(
                static (value, target) =>
                {
                    if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (KeyValuePair<string, object?> pair in pairs)
                        {
                            target[pair.Key] = pair.Value?.ToString();
                        }
                    }
                    else if (value is not null)
                    {
                        target["Scope" + target.Count] = value.ToString();
                    }
                },
                scope);
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (KeyValuePair<string, object?> pair in pairs)
                {
                    values[pair.Key] = pair.Value;
                }
            }

            owner.Lines.Enqueue(new CapturedLog(category, logLevel, formatter(state, exception), exception?.ToString(), scope, values));
        }
    }
}
