using System.Collections.Concurrent;
using Grpc.Net.Client.Balancer;
using Realtime.Engine.Backends;
using static Realtime.Engine.Tests.Backends.BackendTestKit;
using ModelOptions = Realtime.Engine.Backends.Grpc.Protocol.ModelOptions;
using PredictOptions = Realtime.Engine.Backends.Grpc.Protocol.PredictOptions;

namespace Realtime.Engine.Tests.Backends;

/// <summary>
/// A `dns:///` pool of two real gRPC fakes: a replica that dies or fails Health is skipped from the first failed
/// call on, and taken back (its model loaded again) once it answers Health.
/// </summary>
public sealed class HealthAwareBalancingTests
{
    private const int Sessions = 8;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_replica_killed_mid_load_fails_no_call_after_the_first_failure_and_rejoins_after_Health()
    {
        var a = await FakeBackendHost.StartAsync();
        await using var b = await FakeBackendHost.StartAsync();
        int portA = a.Port;
        using var registry = new BackendRegistry(PoolOptions(a.Port, b.Port));
        IChatModel chat = registry.GetChatModel(BackendUri.Parse("dns:///replicas.test:1", "Llm:Backend"), "qwen");

        await using var load = new Load(chat);
        await WaitUntilAsync(() => Predicts(a) >= 5 && Predicts(b) >= 5, "both replicas serve");

        await a.KillAsync();
        int before = load.Completed;
        await WaitUntilAsync(() => load.Completed >= before + 60, "calls after the kill");

        // The replica comes back on its port, empty: it is checked, gets its model loaded, and serves again.
        await using FakeBackendHost back = await FakeBackendHost.StartAsync(port: portA);
        await WaitUntilAsync(() => Predicts(back) >= 5, "the replica back in the pool");
        Assert.IsType<ModelOptions>(back.Backend.Requests.First(r => r is ModelOptions or PredictOptions));
        await load.StopAsync();

        Assert.Empty(load.FailuresAfterTheFirst);
        Assert.InRange(load.Failures.Count, 0, Sessions);
    }

    [Fact]
    public async Task A_replica_failing_Health_gets_no_calls_until_it_answers_OK()
    {
        // A pool serving from one replica; a second one joins the DNS answer while still loading: its first five Health
        // checks fail (UNAVAILABLE "starting").
        await using var b = await FakeBackendHost.StartAsync();
        await using var starting = await FakeBackendHost.StartAsync(new FakeBackendOptions { FailHealthTimes = 5 });
        var resolver = new JoiningResolverFactory(new BalancerAddress("127.0.0.1", b.Port));
        using var registry = new BackendRegistry(PoolOptions(resolver));
        IChatModel chat = registry.GetChatModel(BackendUri.Parse("dns:///replicas.test:1", "Llm:Backend"), "qwen");

        await using var load = new Load(chat);
        // Its probe's second Health comes an interval after the first answer was taken: b is known healthy.
        await WaitUntilAsync(() => b.Backend.Requests.Count(r => r.GetType().Name == "HealthMessage") >= 2 && Predicts(b) >= 3, "the pool serving from b");
        resolver.Join(new BalancerAddress("127.0.0.1", starting.Port));
        await WaitUntilAsync(() => Predicts(starting) >= 5, "the joining replica once healthy");
        await load.StopAsync();

        Assert.Empty(load.Failures);
        // No call reached it before its Health answered OK (the sixth check), and its model was loaded before its first call.
        List<string> seen = [.. starting.Backend.Requests.Select(r => r.GetType().Name)];
        int firstPredict = seen.IndexOf(nameof(PredictOptions));
        Assert.Equal(6, seen.Take(firstPredict).Count(n => n == "HealthMessage"));
        Assert.Contains(nameof(ModelOptions), seen.Take(firstPredict));
        Assert.True(Predicts(b) > 0);
    }

    private static BackendRegistryOptions PoolOptions(int portA, int portB) =>
        PoolOptions(new FixedResolverFactory([new BalancerAddress("127.0.0.1", portA), new BalancerAddress("127.0.0.1", portB)]));

    private static BackendRegistryOptions PoolOptions(ResolverFactory resolver) => FastOptions() with
    {
        MaxConcurrency = 16,
        ReplicaResolver = resolver,
        ReplicaHealthInterval = TimeSpan.FromMilliseconds(300),
        ReplicaRetryDelay = TimeSpan.FromMilliseconds(50),
        ReplicaRetryMaxDelay = TimeSpan.FromMilliseconds(400),
    };

    private static int Predicts(FakeBackendHost host) => host.Backend.Requests.Count(r => r is PredictOptions);

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        guard.CancelAfter(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            Assert.False(guard.IsCancellationRequested, "timed out waiting for: " + what);
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>Sessions asking in a loop; each failure says whether its call started after some call had already failed.</summary>
    private sealed class Load : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task[] _sessions;
        private int _completed;
        private int _failed;

        public Load(IChatModel chat)
        {
            _sessions = [.. Enumerable.Range(0, Sessions).Select(i => Task.Run(() => RunAsync(chat, i)))];
        }

        public int Completed => Volatile.Read(ref _completed);

        public ConcurrentQueue<Exception> Failures { get; } = new();

        public ConcurrentQueue<Exception> FailuresAfterTheFirst { get; } = new();

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_sessions);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await StopAsync();
            }

            _stop.Dispose();
        }

        private async Task RunAsync(IChatModel chat, int session)
        {
            for (int turn = 0; !_stop.IsCancellationRequested; turn++)
            {
                bool afterAFailure = Volatile.Read(ref _failed) != 0;
                try
                {
                    // [slow:5] spaces the deltas so calls are in flight when the replica dies.
                    List<ChatDelta> deltas = await CollectAsync(chat, Ask($"[slow:5] session {session} turn {turn}"));
                    Assert.NotEmpty(TextOf(deltas));
                    Interlocked.Increment(ref _completed);
                }
                catch (Exception e) when (!_stop.IsCancellationRequested)
                {
                    Failures.Enqueue(e);
                    if (afterAFailure)
                    {
                        FailuresAfterTheFirst.Enqueue(e);
                    }

                    Volatile.Write(ref _failed, 1);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Stands in for DNS (which has one loopback address per name here): the pool's replicas.</summary>
    /// <summary>A DNS answer that gains addresses while the pool runs (a replica scaled up).</summary>
    private sealed class JoiningResolverFactory(BalancerAddress first) : ResolverFactory
    {
        private readonly Lock _gate = new();
        private readonly List<BalancerAddress> _addresses = [first];
        private readonly List<JoiningResolver> _resolvers = [];

        public override string Name => "dns";

        public override Resolver Create(ResolverOptions options)
        {
            var resolver = new JoiningResolver(this);
            lock (_gate)
            {
                _resolvers.Add(resolver);
            }

            return resolver;
        }

        public void Join(BalancerAddress address)
        {
            JoiningResolver[] resolvers;
            lock (_gate)
            {
                _addresses.Add(address);
                resolvers = [.. _resolvers];
            }

            foreach (JoiningResolver resolver in resolvers)
            {
                resolver.Publish();
            }
        }

        private BalancerAddress[] Snapshot()
        {
            lock (_gate)
            {
                return [.. _addresses];
            }
        }

        private sealed class JoiningResolver(JoiningResolverFactory owner) : Resolver
        {
            private Action<ResolverResult>? _listener;

            public override void Start(Action<ResolverResult> listener)
            {
                _listener = listener;
                Publish();
            }

            public override void Refresh() => Publish();

            public void Publish() => _listener?.Invoke(ResolverResult.ForResult(owner.Snapshot()));
        }
    }

    private sealed class FixedResolverFactory(IReadOnlyList<BalancerAddress> addresses) : ResolverFactory
    {
        private readonly StaticResolverFactory _fixed = new(_ => addresses);

        public override string Name => "dns";

        public override Resolver Create(ResolverOptions options) => _fixed.Create(options);
    }
}
