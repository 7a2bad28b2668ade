using Microsoft.Extensions.Options;
using Realtime.Host.Observability;
using Realtime.Host.Options;
using Realtime.Wire.Http;

namespace Realtime.Host.Operations;

/// <summary>
/// Admission and drain: counts open sessions (per process and per API key) against the limits, refuses upgrades
/// while draining, and on shutdown closes every session after its current response, bounded by the grace period.
/// </summary>
internal sealed class SessionRegistry
{
    private readonly Lock _gate = new();
    private readonly HashSet<OpenSession> _open = [];
    private readonly Dictionary<string, int> _perKey = new(StringComparer.Ordinal);
    private readonly IOptions<RealtimeServerOptions> _options;
    private readonly ILogger<SessionRegistry> _logger;
    private volatile bool _draining;

    public SessionRegistry(IOptions<RealtimeServerOptions> options, IHostApplicationLifetime lifetime, ILogger<SessionRegistry> logger)
    {
        // Options are read on use: Build must not validate them (startup does, with one clear message).
        _options = options;
        _logger = logger;
        lifetime.ApplicationStopping.Register(static state => ((SessionRegistry)state!).BeginDrain(), this);
    }

    private RealtimeLimitsOptions Limits => _options.Value.Limits;

    /// <summary>True once shutdown began: not ready, no new sessions.</summary>
    public bool IsDraining => _draining;

    public int OpenCount
    {
        get
        {
            lock (_gate)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>The refusal for a new upgrade (503 draining or full, 429 key over its limit), or null to accept it.</summary>
    public HandshakeDecision? Refusal(string? apiKey)
    {
        string? reason = RefusalReason(apiKey);
        if (reason is null)
        {
            return null;
        }

        RealtimeMetrics.SessionsRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
        return reason == "per_key_limit"
            ? new HandshakeDecision { StatusCode = 429, ErrorText = "Too many concurrent sessions for this API key." }
            : new HandshakeDecision { StatusCode = 503, ErrorText = reason == "draining" ? "Server is shutting down." : "Server is at its session limit; try again later." };
    }

    /// <summary>Admits a session after the 101 (a race past <see cref="Refusal"/> is caught here); null when over a limit.</summary>
    public OpenSession? TryOpen(string? apiKey, MeteredOutput output)
    {
        lock (_gate)
        {
            if (RefusalReasonLocked(apiKey) is not null)
            {
                return null;
            }

            var session = new OpenSession(apiKey, output);
            _open.Add(session);
            if (apiKey is not null)
            {
                _perKey[apiKey] = _perKey.GetValueOrDefault(apiKey) + 1;
            }

            return session;
        }
    }

    public void Release(OpenSession session)
    {
        lock (_gate)
        {
            if (!_open.Remove(session) || session.ApiKey is null)
            {
                return;
            }

            int left = _perKey[session.ApiKey] - 1;
            if (left == 0)
            {
                _perKey.Remove(session.ApiKey);
            }
            else
            {
                _perKey[session.ApiKey] = left;
            }
        }
    }

    /// <summary>Stops admitting, asks every session to close after its current response, and closes the rest after the grace period.</summary>
    public void BeginDrain()
    {
        OpenSession[] open;
        lock (_gate)
        {
            if (_draining)
            {
                return;
            }

            _draining = true;
            open = [.. _open];
        }

        _logger.LogInformation("Draining: {Count} open sessions close after their current response (grace {Grace} s)", open.Length, Limits.DrainGracePeriodSeconds);
        foreach (OpenSession session in open)
        {
            session.Drain();
        }

        _ = CloseAfterGraceAsync();
    }

    private async Task CloseAfterGraceAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(Limits.DrainGracePeriodSeconds)).ConfigureAwait(false);
        OpenSession[] open;
        lock (_gate)
        {
            open = [.. _open];
        }

        if (open.Length > 0)
        {
            _logger.LogWarning("Drain grace period over: closing {Count} sessions with responses still running", open.Length);
        }

        foreach (OpenSession session in open)
        {
            session.CloseGoingAway();
        }
    }

    private string? RefusalReason(string? apiKey)
    {
        lock (_gate)
        {
            return RefusalReasonLocked(apiKey);
        }
    }

    private string? RefusalReasonLocked(string? apiKey)
    {
        if (_draining)
        {
            return "draining";
        }

        if (Limits.MaxConcurrentSessions > 0 && _open.Count >= Limits.MaxConcurrentSessions)
        {
            return "process_limit";
        }

        if (apiKey is not null && Limits.MaxSessionsPerApiKey > 0 && _perKey.GetValueOrDefault(apiKey) >= Limits.MaxSessionsPerApiKey)
        {
            return "per_key_limit";
        }

        return null;
    }
}
