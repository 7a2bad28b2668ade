using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Wire.Audio;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>Metrics, readiness, limits and drain of the real server over real sockets (each test runs its own server).</summary>
[Collection(OperationsCollection.Name)]
public sealed class OperationsTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task MetricsAfterOneSpokenTurnHaveEverySeries()
    {
        await using OpsServer server = await OpsServer.StartAsync();
        await using (RealtimeSocket client = await server.ConnectAsync())
        {
            await client.SendAsync(
                "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"input\":{\"transcription\":{\"model\":\"whisper-1\"}," +
                "\"turn_detection\":{\"type\":\"server_vad\",\"silence_duration_ms\":500}}}}}");
            await client.WaitFor("session.updated");
            await client.AppendAudioAsync(Fixture.Pcm24k("weather_question.wav"), 100 * AudioFormat.Pcm16.BytesPerMillisecond());
            await client.AppendAudioAsync(Fixture.Silence(AudioFormat.Pcm16, 800), 100 * AudioFormat.Pcm16.BytesPerMillisecond());
            await client.WaitFor("response.done", timeoutMs: 120_000);
            await client.WaitFor("conversation.item.input_audio_transcription.completed");
            await client.SendAsync("{\"type\":\"conversation.item.retrieve\",\"item_id\":\"item_missing\"}");
            await client.WaitFor("error");
        }

        // The close is counted when the server has processed it; poll instead of sleeping.
        string metrics = await PollMetricsAsync(server, m => m.Contains("realtime_closes_total{", StringComparison.Ordinal));
        Assert.True(Value(metrics, "realtime_sessions_total", "") >= 1, metrics);
        Assert.Equal(0, Value(metrics, "realtime_sessions_open", ""));
        Assert.True(Value(metrics, "realtime_events_in_total", "type=\"input_audio_buffer.append\"") >= 30, metrics);
        Assert.True(Value(metrics, "realtime_events_in_total", "type=\"session.update\"") >= 1, metrics);
        Assert.True(Value(metrics, "realtime_events_out_total", "type=\"response.output_audio.delta\"") >= 1, metrics);
        Assert.True(Value(metrics, "realtime_events_out_total", "type=\"session.created\"") >= 1, metrics);
        // 3 s of 24 kHz PCM16 as base64 is over 190 kB in.
        Assert.True(Value(metrics, "realtime_bytes_in_bytes_total", "") > 190_000, metrics);
        Assert.True(Value(metrics, "realtime_bytes_out_bytes_total", "") > 10_000, metrics);
        Assert.True(Value(metrics, "realtime_errors_total", "code=\"item_retrieve_invalid_item_id\"") >= 1, metrics);
        Assert.True(Value(metrics, "realtime_closes_total", "code=\"1000\"") >= 1, metrics);
        foreach (string stage in new[] { "speech_end_to_transcript", "speech_end_to_first_text", "speech_end_to_first_audio" })
        {
            Assert.True(Value(metrics, "realtime_stage_latency_seconds_count", $"stage=\"{stage}\"") >= 1, stage + "\n" + metrics);
            double sum = Value(metrics, "realtime_stage_latency_seconds_sum", $"stage=\"{stage}\"");
            Assert.InRange(sum, 0.0, 30.0);
        }

        // About 4 s of audio in 32 ms Silero frames.
        Assert.True(Value(metrics, "realtime_vad_frames_total", "") >= 100, metrics);
        foreach (string stage in new[] { "llm", "tts", "transcription" })
        {
            Assert.True(Value(metrics, "realtime_backend_duration_seconds_count", $"stage=\"{stage}\"") >= 1, stage + "\n" + metrics);
        }

        Assert.DoesNotContain(OpsServer.KeyA, metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResponseCreateLatencyIsMeasured()
    {
        await using OpsServer server = await OpsServer.StartAsync();
        await using (RealtimeSocket client = await server.ConnectAsync())
        {
            await client.SendAsync("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hello there\"}]}}");
            await client.SendAsync("{\"type\":\"response.create\"}");
            await client.WaitFor("response.done", timeoutMs: 120_000);
        }

        string metrics = await PollMetricsAsync(server, m => m.Contains("stage=\"response_create_to_first_delta\"", StringComparison.Ordinal));
        Assert.True(Value(metrics, "realtime_stage_latency_seconds_count", "stage=\"response_create_to_first_delta\"") >= 1, metrics);
        Assert.True(Value(metrics, "realtime_events_in_total", "type=\"response.create\"") >= 1, metrics);
    }

    [Fact]
    public async Task ReadyzIsReadyUntilDrainThenRefusesAndHealthzStaysLive()
    {
        await using OpsServer server = await OpsServer.StartAsync();
        // The engines load beside Kestrel's start: not ready ("engines loading") until they have.
        await server.App.Services.GetRequiredService<Realtime.Host.Engines.EngineWarmup>().Loaded.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        using (HttpResponseMessage ready = await Http.GetAsync(new Uri(server.Http, "/readyz"), TestContext.Current.CancellationToken))
        {
            string body = await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Contains("\"status\":\"ready\"", body, StringComparison.Ordinal);
        }

        // What ApplicationStopping triggers, without stopping the listener, so the draining state can be observed.
        server.App.Services.GetRequiredService<Realtime.Host.Operations.SessionRegistry>().BeginDrain();
        using (HttpResponseMessage draining = await Http.GetAsync(new Uri(server.Http, "/readyz"), TestContext.Current.CancellationToken))
        {
            string body = await draining.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, draining.StatusCode);
            Assert.Contains("\"draining\":true", body, StringComparison.Ordinal);
        }

        using (HttpResponseMessage live = await Http.GetAsync(new Uri(server.Http, "/healthz"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await UpgradeStatusAsync(server, OpsServer.KeyA));
    }

    [Fact]
    public async Task ProcessSessionLimitRefusesWith503BeforeUpgradeUntilASessionEnds()
    {
        await using OpsServer server = await OpsServer.StartAsync("--Realtime:Limits:MaxConcurrentSessions=1");
        RealtimeSocket first = await server.ConnectAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await UpgradeStatusAsync(server, OpsServer.KeyB));
        await first.DisposeAsync();

        // The slot frees when the server has processed the close.
        HttpStatusCode status = HttpStatusCode.ServiceUnavailable;
        for (int i = 0; i < 200 && status != HttpStatusCode.SwitchingProtocols; i++)
        {
            await Task.Delay(25, TestContext.Current.CancellationToken);
            status = await UpgradeStatusAsync(server, OpsServer.KeyB);
        }

        Assert.Equal(HttpStatusCode.SwitchingProtocols, status);
    }

    [Fact]
    public async Task PerKeySessionLimitRefusesThatKeyWith429AndAdmitsOthers()
    {
        await using OpsServer server = await OpsServer.StartAsync("--Realtime:Limits:MaxSessionsPerApiKey=1");
        await using RealtimeSocket first = await server.ConnectAsync(OpsServer.KeyA);
        Assert.Equal((HttpStatusCode)429, await UpgradeStatusAsync(server, OpsServer.KeyA));
        await using RealtimeSocket other = await server.ConnectAsync(OpsServer.KeyB);
        Assert.NotEmpty(other.OfType("session.created"));
    }

    [Fact]
    public async Task EventFloodGetsRateLimitErrorsThenClose1008()
    {
        await using OpsServer server = await OpsServer.StartAsync("--Realtime:Limits:MaxEventsPerSecond=5");
        await using RealtimeSocket client = await server.ConnectAsync();
        try
        {
            for (int i = 0; i < 200 && !client.Completion.IsCompleted; i++)
            {
                await client.SendAsync("{\"type\":\"input_audio_buffer.clear\"}");
            }
        }
        catch (WebSocketException)
        {
            // The server closed while we were still flooding.
        }

        await client.Completion.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        JsonElement[] limited = [.. client.OfType("error")];
        Assert.NotEmpty(limited);
        Assert.All(limited, e =>
        {
            Assert.Equal("rate_limit_error", e.GetProperty("error").GetProperty("type").GetString());
            Assert.Equal("rate_limit_exceeded", e.GetProperty("error").GetProperty("code").GetString());
        });
        // One error per dropped event until 5 more than the bucket were dropped in a row (more only if a refill let one through).
        Assert.InRange(limited.Length, 5, 60);
    }

    [Fact]
    public async Task StopLetsTheRunningResponseFinishThenClosesWith1001()
    {
        await using OpsServer server = await OpsServer.StartAsync("--Realtime:Limits:DrainGracePeriodSeconds=20");
        await using RealtimeSocket idle = await server.ConnectAsync(OpsServer.KeyB);
        await using RealtimeSocket busy = await server.ConnectAsync();
        await busy.SendAsync("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"please read this whole sentence back to me slowly\"}]}}");
        await busy.SendAsync("{\"type\":\"response.create\"}");
        await busy.WaitFor("response.created");

        Task stop = server.StopAsync();
        await idle.Completion.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, idle.CloseStatus);
        await busy.Completion.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, busy.CloseStatus);
        JsonElement done = busy.OfType("response.done").Single();
        Assert.Equal("completed", done.GetProperty("response").GetProperty("status").GetString());
        Assert.NotEmpty(busy.OfType("response.output_audio.delta"));
        await idle.DisposeAsync();
        await busy.DisposeAsync();
        await stop.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task DrainGracePeriodBoundsARunningResponse()
    {
        await using OpsServer server = await OpsServer.StartAsync("--Realtime:Limits:DrainGracePeriodSeconds=0");
        await using RealtimeSocket busy = await server.ConnectAsync();
        await busy.SendAsync("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + string.Concat(Enumerable.Repeat("a long answer that takes a while to speak ", 40)) + "\"}]}}");
        await busy.SendAsync("{\"type\":\"response.create\"}");
        await busy.WaitFor("response.created");

        Task stop = server.StopAsync();
        await busy.Completion.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, busy.CloseStatus);
        await busy.DisposeAsync();
        await stop.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    private static async Task<HttpStatusCode> UpgradeStatusAsync(OpsServer server, string key)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", "Bearer " + key);
        try
        {
            await socket.ConnectAsync(new Uri($"{server.WsBase}/realtime?model=gpt-realtime"), CancellationToken.None);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "probe", CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // Refused: the status is what the test wants.
        }

        return socket.HttpStatusCode;
    }

    private static async Task<string> PollMetricsAsync(OpsServer server, Func<string, bool> ready)
    {
        string metrics = string.Empty;
        for (int i = 0; i < 200; i++)
        {
            metrics = await Http.GetStringAsync(new Uri(server.Http, "/metrics"), TestContext.Current.CancellationToken);
            if (ready(metrics))
            {
                return metrics;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return metrics;
    }

    /// <summary>Sums the samples of a series whose labels contain <paramref name="label"/> (Prometheus text format).</summary>
    private static double Value(string metrics, string name, string label)
    {
        double sum = 0;
        bool found = false;
        foreach (string line in metrics.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || line[name.Length] is not ('{' or ' '))
            {
                continue;
            }

            int labelsEnd = line.LastIndexOf('}');
            string labels = labelsEnd < 0 ? string.Empty : line[..labelsEnd];
            if (!labels.Contains(label, StringComparison.Ordinal))
            {
                continue;
            }

            string[] parts = line[(labelsEnd + 1)..].Trim().Split(' ');
            sum += double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            found = true;
        }

        Assert.True(found, $"no {name} {label} in:\n{metrics}");
        return sum;
    }
}

/// <summary>
/// The metrics are process-wide (one static Meter), so these tests run alone, after the parallel ones: another
/// test's open session would otherwise show in `realtime_sessions_open`.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OperationsCollection
{
    public const string Name = "operations";
}
