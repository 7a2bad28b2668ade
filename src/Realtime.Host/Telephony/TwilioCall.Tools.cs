using System.Text.Json;
using Realtime.Engine.Responses;
using Realtime.Wire.Frames;

namespace Realtime.Host.Telephony;

/// <summary>
/// Function calls on a call (the webhook, the built-in end_call), DTMF digits as text, and hanging up.
/// DTMF format: digits pressed within Realtime:Telephony:DtmfBatchMs of each other (or up to a '#') reach the model
/// as one user message `[DTMF 123#]`, in the order pressed.
/// </summary>
internal sealed partial class TwilioCall
{
    public void OnFunctionCall(string responseId, string itemId, string callId, string name, string arguments) =>
        _calls.Add(new PendingCall(callId, name, arguments));

    public void OnResponseDone(string responseId, ResponseStatus status, string? statusReason, string? errorMessage)
    {
        if (status == ResponseStatus.Failed)
        {
            _logger.LogWarning("Call {CallSid}: response {ResponseId} failed: {Error}", _callSid, responseId, errorMessage);
        }

        if (_calls.Count > 0)
        {
            PendingCall[] calls = [.. _calls];
            _calls.Clear();
            if (status == ResponseStatus.Completed)
            {
                // Started from the session loop: the tool task runs inside the call's log scope.
                _ = RunToolsGuardedAsync(calls);
                return;
            }
        }

        bool hangUp = false;
        lock (_gate)
        {
            if (_endCall == EndCallState.AwaitingGoodbye)
            {
                // This was the goodbye: hang up once the caller has heard it (its last mark echoed).
                _endCall = EndCallState.Closing;
                hangUp = _marks.Count == 0 && _sendingItemId is null;
            }
        }

        if (hangUp)
        {
            HangUp("the goodbye had no audio left to play");
        }
        else if (_endCall == EndCallState.Closing)
        {
            _hangUpTimer ??= _services.Time.CreateTimer(static state => ((TwilioCall)state!).HangUp("the goodbye did not finish playing in time"), this, _services.Options.HangUpTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    public void OnError(string code, string message) =>
        _logger.LogWarning("Call {CallSid}: session error {Code}: {Message}", _callSid, code, message);

    private async Task RunToolsGuardedAsync(PendingCall[] calls)
    {
        try
        {
            await RunToolsAsync(calls).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_ended.IsCancellationRequested)
        {
            // The caller hung up while the webhook was working: nobody is left to hear the answer. Not an error.
            _logger.LogDebug("Call {CallSid}: tool calls abandoned, the call ended", _callSid);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug here must not go unobserved or end the process: the call goes on without this answer.
            _logger.LogError(e, "Call {CallSid}: running the tool calls failed", _callSid);
        }
    }

    private async Task RunToolsAsync(PendingCall[] calls)
    {
        for (int i = 0; i < calls.Length; i++)
        {
            PendingCall call = calls[i];
            Interlocked.Increment(ref _toolCalls);
            string output;
            if (call.Name == EndCallTool)
            {
                lock (_gate)
                {
                    _endCall = EndCallState.AwaitingGoodbye;
                }

                TelephonyMetrics.ToolCalls.Add(1, new KeyValuePair<string, object?>("result", "end_call"));
                output = "The call ends after your next reply; say goodbye.";
                _logger.LogInformation("Call {CallSid}: the model called end_call; hanging up after the goodbye", _callSid);
            }
            else
            {
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                ToolOutcome outcome = await _services.Tools.CallAsync(call.Name, call.Arguments, call.CallId, _callSid, _ended.Token).ConfigureAwait(false);
                TelephonyMetrics.ToolCalls.Add(1, new KeyValuePair<string, object?>("result", outcome.Result));
                output = outcome.Output;
                double ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (outcome.Result != "ok")
                {
                    _logger.LogWarning("Call {CallSid}: tool {Tool} failed ({Result}) after {Ms:0} ms; the model gets the error: {Output}", _callSid, call.Name, outcome.Result, ms, output);
                }
                else
                {
                    _logger.LogInformation("Call {CallSid}: tool {Tool} answered in {Ms:0} ms", _callSid, call.Name, ms);
                }
            }

            if (_ended.IsCancellationRequested)
            {
                return;
            }

            _session!.AddFunctionOutput(call.CallId, output, respond: i == calls.Length - 1);
        }
    }

    private void OnDtmf(ReadOnlySpan<byte> json)
    {
        if (_session is null)
        {
            return;
        }

        using JsonDocument document = JsonDocument.Parse(json.ToArray());
        if (!document.RootElement.TryGetProperty("dtmf", out JsonElement dtmf) || dtmf.ValueKind != JsonValueKind.Object
            || !dtmf.TryGetProperty("digit", out JsonElement digitValue) || digitValue.GetString() is not { Length: 1 } digit
            || !IsDtmfDigit(digit[0]))
        {
            _logger.LogWarning("Call {CallSid}: dtmf message without a valid digit ignored", _callSid);
            return;
        }

        bool flushNow;
        lock (_gate)
        {
            _digits.Append(digit[0]);
            flushNow = digit[0] == '#' || _services.Options.DtmfBatch == TimeSpan.Zero;
        }

        if (flushNow)
        {
            FlushDigits();
        }
        else
        {
            _dtmfTimer?.Change(_services.Options.DtmfBatch, Timeout.InfiniteTimeSpan);
        }
    }

    private static bool IsDtmfDigit(char c) => c is (>= '0' and <= '9') or '*' or '#' or (>= 'A' and <= 'D');

    private void FlushDigits()
    {
        string digits;
        lock (_gate)
        {
            if (_digits.Length == 0 || _ended.IsCancellationRequested)
            {
                return;
            }

            digits = _digits.ToString();
            _digits.Clear();
        }

        _dtmfTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _logger.LogDebug("Call {CallSid}: DTMF {Digits}", _callSid, digits);
        // A key press interrupts like speech: what was heard stays, the rest is cut, and the model answers the keys.
        BargeIn("dtmf");
        _session!.AddUserText("[DTMF " + digits + "]");
    }

    private void HangUp(string why)
    {
        if (_ended.IsCancellationRequested)
        {
            return;
        }

        _logger.LogInformation("Call {CallSid}: hanging up ({Why})", _callSid, why);
        _ending ??= "the assistant ended the call";
        _connection.Close(CloseStatus.Normal, "call ended");
    }
}
