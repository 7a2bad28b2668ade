using global::Grpc.Core;
using global::Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Realtime.Engine.Backends.Grpc.Protocol;

namespace Realtime.Engine.Backends.Grpc.Balancing;

/// <summary>
/// Checks one replica of a pool over a channel of its own (so the check reaches that replica, not whichever one the
/// balancer would pick): Health every <see cref="BackendRegistryOptions.ReplicaHealthInterval"/> while it is
/// healthy; after a failed check or a failed call, again after <see cref="BackendRegistryOptions.ReplicaRetryDelay"/>,
/// doubling up to <see cref="BackendRegistryOptions.ReplicaRetryMaxDelay"/>, until it answers. The pool skips it
/// meanwhile.
/// </summary>
internal sealed class ReplicaProbe : IDisposable
{
    private readonly BackendUri _pool;
    private readonly BackendRegistryOptions _options;
    private readonly ReplicaCheck _check;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly GrpcChannel _channel;
    private readonly Backend.BackendClient _replica;
    private const int Unchecked = 0;
    private const int Healthy = 1;
    private const int Unhealthy = 2;
    private int _state = Unchecked;
    private int _started;

    public ReplicaProbe(BackendUri pool, string address, BackendRegistryOptions options, ReplicaCheck check, ILogger logger)
    {
        _pool = pool;
        Address = address;
        _options = options;
        _check = check;
        _logger = logger;
        _channel = GrpcChannel.ForAddress("http://" + address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { ConnectTimeout = options.ConnectTimeout, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
            DisposeHttpClient = true,
            ThrowOperationCanceledOnCancellation = false,
        });
        _replica = new Backend.BackendClient(_channel);
    }

    /// <summary>
    /// Health and, for a replica coming back, LoadModel of the pool's models: null when the replica can take calls,
    /// else why not. RpcExceptions it throws count as the reason.
    /// </summary>
    public delegate Task<string?> ReplicaCheck(Backend.BackendClient replica, bool recovering, CancellationToken cancellationToken);

    /// <summary>`host:port` of the replica.</summary>
    public string Address { get; }

    /// <summary>True once a check passed, false from a failed check or call until a check passes again.</summary>
    public bool IsHealthy => Volatile.Read(ref _state) == Healthy;

    /// <summary>True from a failed check or call until a check passes (a replica not yet checked is neither).</summary>
    public bool IsUnhealthy => Volatile.Read(ref _state) == Unhealthy;

    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(RunAsync);
        }
    }

    /// <summary>A call to this replica failed in a way that says it is down or emptied: skip it and check it soon.</summary>
    public void ReportFailure(string reason)
    {
        if (MarkUnhealthy(reason) && _wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already woken by a concurrent failure.
            }
            catch (ObjectDisposedException)
            {
                // The pool is gone.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _channel.Dispose();
    }

    private bool MarkUnhealthy(string reason)
    {
        if (Interlocked.Exchange(ref _state, Unhealthy) == Unhealthy)
        {
            return false;
        }

        _logger.LogWarning("Backend {Backend}: replica {Replica} is skipped until it answers Health again: {Reason}", _pool, Address, reason);
        return true;
    }

    private async Task RunAsync()
    {
        TimeSpan retry = _options.ReplicaRetryDelay;
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            int state = Volatile.Read(ref _state);
            if (state != Unchecked)
            {
                try
                {
                    // A reported failure cuts a healthy replica's wait short, so its retries start at once.
                    await _wake.WaitAsync(state == Healthy ? _options.ReplicaHealthInterval : retry, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (state == Healthy && !IsHealthy)
                {
                    retry = _options.ReplicaRetryDelay;
                    continue;
                }
            }

            string? failure;
            bool recovering = !IsHealthy;
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
                deadline.CancelAfter(_options.ConnectTimeout + TimeSpan.FromSeconds(5));
                // A replica not known healthy may be new or restarted: it loads the pool's models before it takes calls.
                failure = await _check(_replica, recovering, deadline.Token).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                failure = e.StatusCode + " " + e.Status.Detail;
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or InvalidOperationException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                failure = e.Message;
            }

            if (failure is null && !recovering && !IsHealthy)
            {
                // A call failed during this routine check (the replica went down, and may be back already, empty: the
                // Health answer can come from its restarted process). Check it again as a recovering replica, so its
                // models are loaded before it takes a call.
                continue;
            }

            if (failure is null)
            {
                int was = Interlocked.Exchange(ref _state, Healthy);
                if (was != Healthy)
                {
                    _logger.LogInformation("Backend {Backend}: replica {Replica} answers Health{Again}; in the pool", _pool, Address, was == Unhealthy ? " again" : string.Empty);
                }

                retry = _options.ReplicaRetryDelay;
            }
            else if (!MarkUnhealthy(failure))
            {
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, _options.ReplicaRetryMaxDelay.Ticks));
            }
        }
    }
}
