using System.Diagnostics;
using System.Text.Json;
using Realtime.Engine.Sessions;
using Realtime.Host.ClientSecrets;
using Realtime.Host.Observability;
using Realtime.Wire.Audio;
using Realtime.Wire.Events;
using Realtime.Wire.Frames;

namespace Realtime.Host.Telephony;

/// <summary>The `start` message: format check, authentication, profile, and the session the call drives.</summary>
internal sealed partial class TwilioCall
{
    /// <summary>Stream parameter (or query parameter) that carries the API key or ephemeral secret.</summary>
    public const string TokenParameter = "token";

    private void OnStart(ReadOnlySpan<byte> json)
    {
        if (_started)
        {
            _logger.LogWarning("Call {CallSid}: a second `start` on the same stream is ignored", _callSid);
            return;
        }

        using JsonDocument document = JsonDocument.Parse(json.ToArray());
        JsonElement root = document.RootElement;
        JsonElement start = root.TryGetProperty("start", out JsonElement s) && s.ValueKind == JsonValueKind.Object ? s : default;
        _streamSid = Text(start, "streamSid") ?? Text(root, "streamSid");
        _callSid = Text(start, "callSid") ?? "(unknown)";
        var custom = new Dictionary<string, string>(StringComparer.Ordinal);
        if (start.ValueKind == JsonValueKind.Object && start.TryGetProperty("customParameters", out JsonElement parameters) && parameters.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty parameter in parameters.EnumerateObject())
            {
                if (parameter.Value.ValueKind == JsonValueKind.String)
                {
                    custom[parameter.Name] = parameter.Value.GetString()!;
                }
            }
        }

        if (_streamSid is null)
        {
            Refuse(CloseStatus.PolicyViolation, "start without streamSid", "the `start` message has no streamSid");
            return;
        }

        if (start.TryGetProperty("mediaFormat", out JsonElement format) && format.ValueKind == JsonValueKind.Object
            && (Text(format, "encoding") is { } encoding && encoding != "audio/x-mulaw"
                || format.TryGetProperty("sampleRate", out JsonElement rate) && rate.TryGetInt32(out int hz) && hz != 8000
                || format.TryGetProperty("channels", out JsonElement channels) && channels.TryGetInt32(out int count) && count != 1))
        {
            Refuse(CloseStatus.InvalidPayload, "unsupported media format", $"media format {format.GetRawText()} is not audio/x-mulaw 8000 Hz mono");
            return;
        }

        // The same keys as the Realtime endpoint: an API key, or an ephemeral secret (the TwiML webhook mints one).
        string? key = _presentedKey ?? custom.GetValueOrDefault(TokenParameter);
        string? admittedKey = null;
        JsonElement? initialSession = null;
        if (_services.ClientSecrets.TryRedeem(key, out MintedSecret secret))
        {
            admittedKey = secret.Value;
            initialSession = secret.Dialect == Dialect.Ga ? secret.Session : null;
        }
        else if (!_services.Keys.IsOpen)
        {
            if (key is null || !_services.Keys.Contains(key))
            {
                Refuse(CloseStatus.Unauthorized, "unauthorized", key is null ? "no API key or ephemeral secret (stream parameter 'token')" : "the API key or ephemeral secret is not valid");
                return;
            }

            admittedKey = key;
        }

        string? model = _queryModel ?? custom.GetValueOrDefault("model");
        if (!_services.Profiles.Catalog.TryResolve(model, out _, out _))
        {
            Refuse(CloseStatus.PolicyViolation, "unknown model", $"model \"{model}\" is not configured under Realtime:Models");
            return;
        }

        if (!_services.Warmup.Loaded.IsCompleted)
        {
            // Only right after start, while the engines load: this one message waits, the stream's bytes queue meanwhile.
            _services.Warmup.Loaded.Wait(_services.Options.StartTimeout);
        }

        _metered = new MeteredOutput(new DroppedEvents(_connection));
        _admission = _services.Warmup.Failure is null ? _services.Registry.TryOpen(admittedKey, _metered) : null;
        if (_admission is null)
        {
            Refuse((ushort)1013, "server busy", "the server is shutting down or at its session limit");
            return;
        }

        _sessionId = RealtimeIds.NewSession();
        var info = new RealtimeConnectionInfo(Dialect.Ga, model, TranscriptionIntent: false) { SessionId = _sessionId, InitialSession = initialSession };
        _session = _services.Sessions.CreateForTransport(info, _metered, this);
        _startedAt = Stopwatch.GetTimestamp();
        Volatile.Write(ref _started, true);
        TelephonyMetrics.Calls.Add(1);
        TelephonyMetrics.CallsOpen.Add(1);
        RealtimeMetrics.Sessions.Add(1);
        RealtimeMetrics.SessionsOpen.Add(1);

        // The session loop, its backends and every timer made here run inside the call's scope: every line names the call.
        using IDisposable? scope = BeginScope();
        _dtmfTimer = _services.Time.CreateTimer(static state => ((TwilioCall)state!).FlushDigits(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _session.OnOpen();
        _session.Configure(new SessionSettings
        {
            Format = AudioFormat.G711Ulaw,
            Instructions = custom.GetValueOrDefault("instructions"),
            Voice = custom.GetValueOrDefault("voice"),
            Tools = _services.CallTools,
        });
        _logger.LogInformation("Call {CallSid} started: stream {StreamSid}, session {SessionId}, model {Model}", _callSid, _streamSid, _sessionId, model ?? "(default)");
    }

    private void Refuse(ushort status, string reason, string why)
    {
        _logger.LogWarning("Twilio stream on connection {ConnectionId} refused: {Why}", _connectionId, why);
        _connection.Close(status, reason);
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>
    /// The session's Realtime protocol events for a call: counted and timed by <see cref="MeteredOutput"/> like any
    /// session's, then dropped — the call hears the session through <see cref="ISessionEvents"/>. Closing closes the stream.
    /// </summary>
    private sealed class DroppedEvents(Realtime.Wire.Connections.IMessageOutput connection) : Realtime.Wire.Connections.IMessageOutput
    {
        public long PendingBytes => connection.PendingBytes;

        public bool SendText(ReadOnlySpan<byte> utf8Payload) => true;

        public bool QueueText(ReadOnlySpan<byte> utf8Payload) => true;

        public void Close(ushort closeStatus, string reason) => connection.Close(closeStatus, reason);
    }
}
