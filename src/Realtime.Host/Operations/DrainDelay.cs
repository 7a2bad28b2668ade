using Microsoft.Extensions.Options;
using Realtime.Host.Options;

namespace Realtime.Host.Operations;

/// <summary>
/// Holds shutdown between "draining" and "listener closed" for `Realtime:Limits:DrainDelaySeconds`: readiness says
/// 503 at once, but connections are still taken (new sessions are answered 503, which a balancer retries elsewhere)
/// until the balancer's health checks have taken the replica out, so no client meets a refused connection.
/// </summary>
/// <remarks>
/// The wait is in <see cref="StoppingAsync"/>, which the host runs before any hosted service stops (Kestrel's
/// listener among them), on SIGTERM as on any stop; it counts against the host's shutdown timeout.
/// </remarks>
internal sealed class DrainDelay(SessionRegistry registry, IOptions<RealtimeServerOptions> options) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        registry.BeginDrain();
        double seconds = options.Value.Limits.DrainDelaySeconds;
        if (seconds > 0)
        {
            // Past the shutdown timeout the stop goes on without the rest of the wait.
            await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
