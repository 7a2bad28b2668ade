using global::Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging;

namespace Realtime.Engine.Backends.Grpc.Balancing;

/// <summary>
/// The load-balancing policy of a `dns:///` backend pool: round-robin over the replicas whose connection is ready
/// and whose last Health answer was OK (see <see cref="ReplicaHealth"/>). Registered in the channel's own service
/// provider, one per pool, so the health it consults is that pool's.
/// </summary>
internal sealed class HealthAwareBalancerFactory(ReplicaHealth health) : LoadBalancerFactory
{
    /// <summary>The policy name the channel's service config asks for.</summary>
    public const string PolicyName = "realtime_health_aware";

    public override string Name => PolicyName;

    public override LoadBalancer Create(LoadBalancerOptions options) => new HealthAwareBalancer(options.Controller, options.LoggerFactory, health);

    /// <summary>Grpc.Net's subchannel bookkeeping (connect, reconnect with backoff, ready set); only the picker is ours.</summary>
    private sealed class HealthAwareBalancer(IChannelControlHelper controller, ILoggerFactory loggerFactory, ReplicaHealth health)
        : SubchannelsLoadBalancer(controller, loggerFactory)
    {
        public override void UpdateChannelState(ChannelState state)
        {
            // Replicas that left the DNS answer stop being probed.
            health.Retain(state.Addresses ?? []);
            base.UpdateChannelState(state);
        }

        protected override SubchannelPicker CreatePicker(IReadOnlyList<Subchannel> readySubchannels) =>
            new HealthAwarePicker(readySubchannels, health);
    }
}
