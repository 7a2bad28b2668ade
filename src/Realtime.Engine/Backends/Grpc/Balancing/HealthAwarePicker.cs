using global::Grpc.Core;
using global::Grpc.Net.Client.Balancer;

namespace Realtime.Engine.Backends.Grpc.Balancing;

/// <summary>
/// Picks the next ready replica round-robin, skipping those <see cref="ReplicaProbe"/> holds unhealthy, and reports
/// each call's failure back to its replica's probe. Made whenever the ready set changes; the health it reads is
/// live, so a replica is skipped from the call after its failure on, without waiting for a new picker.
/// </summary>
internal sealed class HealthAwarePicker : SubchannelPicker
{
    private readonly Subchannel[] _subchannels;
    private readonly ReplicaProbe[] _probes;
    private readonly FailureReporter[] _reporters;
    private int _next;

    public HealthAwarePicker(IReadOnlyList<Subchannel> ready, ReplicaHealth health)
    {
        _subchannels = [.. ready];
        _probes = new ReplicaProbe[_subchannels.Length];
        _reporters = new FailureReporter[_subchannels.Length];
        for (int i = 0; i < _subchannels.Length; i++)
        {
            // A ready subchannel is connected to one of its addresses.
            _probes[i] = health.For(_subchannels[i].CurrentAddress ?? _subchannels[i].GetAddresses()[0]);
            _reporters[i] = new FailureReporter(_probes[i]);
        }

        // Pickers are remade as replicas come and go; a random start keeps the first calls from all going to one.
        _next = Random.Shared.Next(Math.Max(1, _subchannels.Length));
    }

    public override PickResult Pick(PickContext context)
    {
        int count = _subchannels.Length;
        int start = (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
        for (int i = 0; i < count; i++)
        {
            int at = (start + i) % count;
            if (_probes[at].IsHealthy)
            {
                return Chosen(context, at);
            }
        }

        // None known healthy yet (the probes are still on their first checks): one not yet checked before one that
        // already failed, so a replica still starting up gets no call while another may be fine.
        for (int i = 0; i < count; i++)
        {
            int at = (start + i) % count;
            if (!_probes[at].IsUnhealthy)
            {
                return Chosen(context, at);
            }
        }

        // All failed Health: the call still goes somewhere, and fails with the backend's own error
        // (or succeeds: a Health answer can be wrong) rather than one made up here.
        return Chosen(context, start);
    }

    private PickResult Chosen(PickContext context, int at)
    {
        // For ReplicaFailureHandler, which sees the call's transport failures first.
        context.Request?.Options.Set(ReplicaFailureHandler.ProbeKey, _probes[at]);
        return PickResult.ForSubchannel(_subchannels[at], _reporters[at]);
    }

    /// <summary>Tells the replica's probe about a call that shows the replica down or emptied. One per replica, reused.</summary>
    private sealed class FailureReporter(ReplicaProbe probe) : ISubchannelCallTracker
    {
        public void Start()
        {
        }

        public void Complete(CompletionContext context)
        {
            if (IsReplicaFailure(context.Error, out string? reason))
            {
                probe.ReportFailure(reason);
            }
        }

        /// <summary>
        /// Down (UNAVAILABLE: refused, reset, closed mid-stream) or restarted without its model (FAILED_PRECONDITION);
        /// not a deadline, a cancellation or the backend refusing one request, which say nothing about the replica.
        /// </summary>
        private static bool IsReplicaFailure(Exception? error, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? reason)
        {
            reason = error switch
            {
                RpcException { StatusCode: StatusCode.Unavailable or StatusCode.FailedPrecondition } e => e.StatusCode + " " + e.Status.Detail,
                null or RpcException or OperationCanceledException => null,
                _ => error.GetType().Name + ": " + error.Message,
            };
            return reason is not null;
        }
    }
}
