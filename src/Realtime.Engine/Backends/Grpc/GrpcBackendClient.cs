using System.Globalization;
using System.Text;
using global::Grpc.Core;
using global::Grpc.Core.Interceptors;
using global::Grpc.Net.Client;
using global::Grpc.Net.Client.Balancer;
using global::Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Realtime.Engine.Backends.Grpc.Balancing;
using Realtime.Engine.Backends.Grpc.Protocol;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// One LocalAI-compatible backend address: a single long-lived channel shared by every session and stage,
/// the auth metadata, concurrency gates per stage (<see cref="StageGates"/>; the backends are single-worker), readiness (Health + LoadModel at
/// first use) and the cached capability map.
/// </summary>
internal sealed class GrpcBackendClient : IDisposable
{
    private const int MaxMessageBytes = 50 * 1024 * 1024;

    private readonly GrpcChannel _channel;
    private readonly StageGates _gates;
    private readonly BackendRegistryOptions _options;
    private readonly ILogger _logger;
    private readonly Metadata? _auth;
    private readonly Lock _readyLock = new();
    private readonly Dictionary<string, Task> _ready = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _models = new(StringComparer.Ordinal);
    private ServiceProvider? _services;
    private readonly ReplicaHealth? _replicas;
    private int _ttsStream;          // 0 unknown, 1 supported, -1 unsupported
    private int _transcriptionStream;

    public GrpcBackendClient(BackendUri uri, BackendRegistryOptions options, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrency, 1);
        Uri = uri;
        _options = options;
        _logger = logger;
        _gates = new StageGates(uri, options.MaxConcurrency, logger);
        if (!string.IsNullOrEmpty(options.AuthToken))
        {
            _auth = new Metadata { { "authorization", "Bearer " + options.AuthToken } };
        }

        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = options.ConnectTimeout,
        };
        var channelOptions = new GrpcChannelOptions
        {
            HttpHandler = uri.IsLoadBalanced ? new ReplicaFailureHandler(handler) : handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
            ThrowOperationCanceledOnCancellation = false,
        };
        if (uri.IsLoadBalanced)
        {
            // dns:/// targets: resolve every replica and spread calls round-robin over those that answer Health;
            // h2c, so credentials are explicit.
            _replicas = new ReplicaHealth(address => new ReplicaProbe(uri, address, options, CheckReplicaAsync, logger));
            var services = new ServiceCollection();
            services.AddSingleton(options.ReplicaResolver ?? new DnsResolverFactory(TimeSpan.FromSeconds(30)));
            services.AddSingleton<LoadBalancerFactory>(new HealthAwareBalancerFactory(_replicas));
            _services = services.BuildServiceProvider();
            channelOptions.ServiceProvider = _services;
            channelOptions.Credentials = ChannelCredentials.Insecure;
            channelOptions.ServiceConfig = new ServiceConfig
            {
                LoadBalancingConfigs = { new LoadBalancingConfig(HealthAwareBalancerFactory.PolicyName) },
                // A call that never got an answer (sent on the connection of a replica that just died, or refused)
                // or was refused for want of a model is tried again on another replica: gRPC retries only calls nothing was received for, so a
                // half-streamed reply is never replayed. The failed attempt has already taken its replica out.
                MethodConfigs =
                {
                    new MethodConfig
                    {
                        Names = { MethodName.Default },
                        RetryPolicy = new RetryPolicy
                        {
                            MaxAttempts = 3,
                            InitialBackoff = TimeSpan.FromMilliseconds(20),
                            MaxBackoff = TimeSpan.FromMilliseconds(200),
                            BackoffMultiplier = 2,
                            // FAILED_PRECONDITION: that replica restarted without its model (it reloads meanwhile).
                            RetryableStatusCodes = { StatusCode.Unavailable, StatusCode.FailedPrecondition },
                        },
                    },
                },
            };
        }

        _channel = GrpcChannel.ForAddress(uri.Address!, channelOptions);
        Api = new Backend.BackendClient(_channel.Intercept(new ReadinessInterceptor(this)));
    }

    public BackendUri Uri { get; }

    public Backend.BackendClient Api { get; }

    public BackendRegistryOptions Options => _options;

    public ILogger Logger => _logger;

    public bool? SupportsTtsStream => Volatile.Read(ref _ttsStream) switch { 1 => true, -1 => false, _ => null };

    public bool? SupportsTranscriptionStream => Volatile.Read(ref _transcriptionStream) switch { 1 => true, -1 => false, _ => null };

    public void SetTtsStream(bool supported) => Volatile.Write(ref _ttsStream, supported ? 1 : -1);

    public void SetTranscriptionStream(bool supported) => Volatile.Write(ref _transcriptionStream, supported ? 1 : -1);

    /// <summary>Per-call options: auth metadata, deadline, cancellation.</summary>
    public CallOptions CallOptions(CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        new(headers: _auth, deadline: DateTime.UtcNow + (timeout ?? _options.CallTimeout), cancellationToken: cancellationToken);

    /// <summary>
    /// Waits for a free slot of <paramref name="stage"/> at this address; dispose the result to release it. The wait
    /// is bounded by the call deadline: a backend busy with a call that never ends fails the next ones in time
    /// instead of queueing them for ever.
    /// </summary>
    public async ValueTask<StageGates.Lease> EnterAsync(string stage, CancellationToken cancellationToken) =>
        await _gates.EnterAsync(stage, _options.CallTimeout, cancellationToken).ConfigureAwait(false)
        ?? throw Deadline($"Backend {Uri} had no free {stage} call slot within {_options.CallTimeout.TotalSeconds:0.###} s (Realtime:Backends:MaxConcurrency {_options.MaxConcurrency}).");

    /// <summary>
    /// Health until "OK", then LoadModel(model) once per model. A failure is not cached: the next use retries.
    /// A caller waits at most the call deadline (the preparation itself goes on for the callers after it).
    /// </summary>
    public Task EnsureReadyAsync(string? model, CancellationToken cancellationToken)
    {
        var key = model ?? string.Empty;
        if (key.Length > 0)
        {
            // Remembered for good: a pool replica that comes back empty loads these before it takes calls again.
            _models.TryAdd(key, 0);
        }

        Task task;
        lock (_readyLock)
        {
            if (_ready.TryGetValue(key, out var existing) && !existing.IsFaulted && !existing.IsCanceled)
            {
                task = existing;
            }
            else
            {
                task = PrepareAsync(model);
                _ready[key] = task;
            }
        }

        return task.IsCompletedSuccessfully ? Task.CompletedTask : WaitReadyAsync(task, cancellationToken);
    }

    private async Task WaitReadyAsync(Task preparation, CancellationToken cancellationToken)
    {
        try
        {
            await preparation.WaitAsync(_options.CallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw Deadline($"Backend {Uri} was not ready (Health, LoadModel) within {_options.CallTimeout.TotalSeconds:0.###} s.");
        }
    }

    /// <summary>Waiting before the call counts against its deadline, and ends as a call past it would: DEADLINE_EXCEEDED.</summary>
    private static RpcException Deadline(string detail) => new(new Status(StatusCode.DeadlineExceeded, detail));

    private async Task PrepareAsync(string? model)
    {
        // A backend that served before and then lost its state (ForgetReadiness) is asked once: a response waiting
        // on it fails now rather than after the start-up polling, which is for a backend still loading.
        var attempts = Volatile.Read(ref _servedOnce) ? 1 : Math.Max(1, _options.HealthAttempts);
        await WaitHealthyAsync(attempts).ConfigureAwait(false);
        if (!_options.LoadModel || string.IsNullOrEmpty(model))
        {
            return;
        }

        Result result;
        using (await EnterAsync(StageGates.Setup, CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                result = await Api.LoadModelAsync(BuildModelOptions(model), CallOptions(CancellationToken.None)).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                _logger.LogError("Backend {Backend}: LoadModel({Model}) failed: {Status} {Detail}", Uri, model, e.StatusCode, e.Status.Detail);
                throw new InvalidOperationException($"Backend {Uri} failed to load model '{model}': {e.StatusCode} {e.Status.Detail}", e);
            }
        }

        if (!result.Success)
        {
            _logger.LogError("Backend {Backend}: LoadModel({Model}) refused: {Message}", Uri, model, result.Message);
            throw new InvalidOperationException($"Backend {Uri} failed to load model '{model}': {result.Message}");
        }

        _logger.LogInformation("Backend {Backend}: model {Model} loaded", Uri, model);
    }

    /// <summary>Set once Health has answered OK: from then on a lost backend is not polled at length again.</summary>
    private bool _servedOnce;

    /// <summary>
    /// The backend lost its state (see <see cref="ReadinessInterceptor"/>): every model is loaded again at next use.
    /// A preparation still running stays in effect for its own callers.
    /// </summary>
    public void ForgetReadiness(RpcException cause)
    {
        lock (_readyLock)
        {
            if (_ready.Count == 0)
            {
                return;
            }

            _ready.Clear();
        }

        _logger.LogWarning("Backend {Backend}: {Status} ({Detail}); Health and LoadModel run again at next use", Uri, cause.StatusCode, cause.Status.Detail);
    }

    internal ModelOptions BuildModelOptions(string model)
    {
        // Never send ModelOptions #56 (FlashAttention): its type changed between LocalAI versions.
        var options = new ModelOptions { Model = model };
        if (!string.IsNullOrEmpty(_options.ModelDirectory))
        {
            options.ModelPath = _options.ModelDirectory;
            options.ModelFile = Path.Combine(_options.ModelDirectory, model);
        }

        options.Options.AddRange(_options.LoadOptions);
        return options;
    }

    private async Task WaitHealthyAsync(int attempts)
    {
        string last = "no attempt";
        RpcException? lastError = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            try
            {
                Reply reply;
                using (await EnterAsync(StageGates.Setup, CancellationToken.None).ConfigureAwait(false))
                {
                    reply = await Api.HealthAsync(new HealthMessage(), CallOptions(CancellationToken.None, _options.ConnectTimeout + TimeSpan.FromSeconds(5))).ConfigureAwait(false);
                }

                var text = reply.Message.ToString(Encoding.UTF8);
                if (string.Equals(text, "OK", StringComparison.Ordinal))
                {
                    _logger.LogInformation("Backend {Backend}: healthy after {Attempts} attempt(s)", Uri, attempt);
                    Volatile.Write(ref _servedOnce, true);
                    return;
                }

                last = "health answered '" + text + "'";
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
            {
                throw new InvalidOperationException($"Backend {Uri} rejected the auth token: {e.Status.Detail}", e);
            }
            catch (RpcException e)
            {
                last = string.Create(CultureInfo.InvariantCulture, $"{e.StatusCode} {e.Status.Detail}");
                lastError = e;
            }

            _logger.LogWarning("Backend {Backend}: not healthy (attempt {Attempt}/{Attempts}): {Reason}", Uri, attempt, attempts, last);
            if (attempt < attempts)
            {
                await Task.Delay(_options.HealthRetryDelay).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException($"Backend {Uri} is not available after {attempts} health check(s): {last}", lastError);
    }

    /// <summary>
    /// One replica of a pool, on its own channel: Health says OK and, when it is coming back (it may have restarted
    /// empty), every model used so far loads. Null when it can take calls, else why not.
    /// </summary>
    private async Task<string?> CheckReplicaAsync(Backend.BackendClient replica, bool recovering, CancellationToken cancellationToken)
    {
        Reply reply = await replica.HealthAsync(new HealthMessage(), CallOptions(cancellationToken, _options.ConnectTimeout + TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        string text = reply.Message.ToString(Encoding.UTF8);
        if (!string.Equals(text, "OK", StringComparison.Ordinal))
        {
            return "health answered '" + text + "'";
        }

        if (recovering && _options.LoadModel)
        {
            foreach (string model in _models.Keys)
            {
                Result result = await replica.LoadModelAsync(BuildModelOptions(model), CallOptions(cancellationToken)).ConfigureAwait(false);
                if (!result.Success)
                {
                    return $"LoadModel({model}) refused: {result.Message}";
                }
            }
        }

        return null;
    }

    /// <summary>A missing RPC: UNIMPLEMENTED, or Go-base backends' plain "unimplemented" error surfacing as UNKNOWN.</summary>
    public static bool IsUnimplemented(RpcException e) =>
        e.StatusCode == StatusCode.Unimplemented
        || (e.StatusCode == StatusCode.Unknown && e.Status.Detail.Contains("unimplemented", StringComparison.OrdinalIgnoreCase));

    public void Dispose()
    {
        _replicas?.Dispose();
        _channel.Dispose();
        _services?.Dispose();
        _services = null;
        _gates.Dispose();
    }
}
