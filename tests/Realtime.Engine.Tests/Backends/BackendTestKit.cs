using System.Text;
using Realtime.Engine.Backends;

namespace Realtime.Engine.Tests.Backends;

/// <summary>Shared settings and collectors for the backend tests.</summary>
internal static class BackendTestKit
{
    public static BackendRegistryOptions FastOptions(string? token = null) => new()
    {
        AuthToken = token,
        HealthAttempts = 3,
        HealthRetryDelay = TimeSpan.FromMilliseconds(20),
        ConnectTimeout = TimeSpan.FromSeconds(2),
        CallTimeout = TimeSpan.FromSeconds(10),
        SharedDirectory = Path.Combine(Path.GetTempPath(), "realtime-fast-tests", Guid.NewGuid().ToString("N")),
    };

    public static ChatRequest Ask(string prompt, IReadOnlyList<ChatTool>? tools = null, string? instructions = "Be brief.") =>
        new(null, instructions, [new ChatMessage(ChatRole.User, prompt)], tools ?? [], "auto", 0.5f, 100);

    public static readonly ChatTool Weather = new("get_weather", "Weather for a city", """{"type":"object","properties":{"city":{"type":"string"}}}""");

    public static async Task<List<ChatDelta>> CollectAsync(IChatModel model, ChatRequest request)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var deltas = new List<ChatDelta>();
        await foreach (var delta in model.StreamAsync(request, cancellationToken))
        {
            deltas.Add(delta);
        }

        return deltas;
    }

    public static string TextOf(IEnumerable<ChatDelta> deltas)
    {
        var text = new StringBuilder();
        foreach (var d in deltas.Where(d => d.Kind == ChatDeltaKind.Text))
        {
            text.Append(d.Text);
        }

        return text.ToString();
    }

    /// <summary>Reassembles tool calls by index: (id, name, arguments).</summary>
    public static List<(string Id, string Name, string Arguments)> ToolCallsOf(IEnumerable<ChatDelta> deltas)
    {
        var calls = new SortedDictionary<int, (string Id, string Name, StringBuilder Args)>();
        foreach (var d in deltas.Where(d => d.Kind == ChatDeltaKind.ToolCall))
        {
            if (!calls.TryGetValue(d.ToolIndex, out var call))
            {
                Assert.NotNull(d.ToolCallId);
                calls[d.ToolIndex] = call = (d.ToolCallId!, d.ToolName!, new StringBuilder());
            }

            call.Args.Append(d.ArgumentsDelta);
        }

        return calls.Values.Select(c => (c.Id, c.Name, c.Args.ToString())).ToList();
    }

    public static async Task<(short[] Samples, int Rate, int Chunks)> SynthesizeAsync(ISpeechSynthesizer synthesizer, string text, string voice = "alloy")
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var samples = new List<short>();
        var rate = 0;
        var chunks = 0;
        await foreach (var chunk in synthesizer.SynthesizeAsync(new SynthesisRequest(text, voice, null, 1f), cancellationToken))
        {
            samples.AddRange(chunk.Samples.ToArray());
            rate = chunk.SampleRate;
            chunks++;
        }

        return (samples.ToArray(), rate, chunks);
    }

    public static float[] Sine(int samples, float amplitude = 0.3f, int rate = 16_000)
    {
        var audio = new float[samples];
        for (var i = 0; i < samples; i++)
        {
            audio[i] = amplitude * MathF.Sin(2 * MathF.PI * 440 * i / rate);
        }

        return audio;
    }

    public static async Task<List<TranscriptUpdate>> TranscribeAsync(ISpeechRecognizer recognizer, float[] audio, RecognitionOptions? options = null)
    {
        await using var stream = recognizer.Open(options ?? new RecognitionOptions(null, "en", null), TestContext.Current.CancellationToken);
        for (var offset = 0; offset < audio.Length; offset += 320)
        {
            stream.Write(audio.AsSpan(offset, Math.Min(320, audio.Length - offset)));
        }

        stream.Complete();
        var updates = new List<TranscriptUpdate>();
        await foreach (var update in stream.ReadAsync(TestContext.Current.CancellationToken))
        {
            updates.Add(update);
        }

        return updates;
    }
}
