using System.ClientModel;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using OpenAI.Realtime;

#pragma warning disable OPENAI002 // The SDK marks its realtime client experimental; pinning it against the server is the point here.

namespace Realtime.EndToEnd.Tests;

/// <summary>
/// One conversation session opened with the official .NET SDK, unchanged, plus the raw frames the SDK received
/// (so failures can show the server's JSON and tests can check wire-level fields the typed model hides).
/// </summary>
internal sealed class SdkConversation : IAsyncDisposable
{
    public const string Model = "gpt-realtime";

    private static readonly TimeSpan UpdateTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<string> _rawFrames;
    private readonly CancellationTokenSource _lifetime;
    private readonly IAsyncEnumerator<RealtimeServerUpdate> _updates;

    private SdkConversation(RealtimeSessionClient session, ConcurrentQueue<string> rawFrames, CancellationToken testToken)
    {
        Session = session;
        _rawFrames = rawFrames;
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(testToken);
        // One enumerator for the whole session: the SDK reads the socket from it.
        _updates = session.ReceiveUpdatesAsync(_lifetime.Token).GetAsyncEnumerator(_lifetime.Token);
    }

    public RealtimeSessionClient Session { get; }

    /// <summary>Every frame the SDK received so far, as text, in order.</summary>
    public IReadOnlyCollection<string> RawFrames => _rawFrames;

    public static async Task<SdkConversation> StartAsync(ServerFixture server, CancellationToken cancellationToken)
    {
        var client = new RealtimeClient(new ApiKeyCredential(ServerFixture.ApiKey), new RealtimeClientOptions { Endpoint = new Uri(server.WsBase) });
        var raw = new ConcurrentQueue<string>();
        client.OnReceivingCommand += (_, data) => raw.Enqueue(data.ToString());
        RealtimeSessionClient session = await client.StartConversationSessionAsync(Model, cancellationToken: cancellationToken);
        return new SdkConversation(session, raw, cancellationToken);
    }

    /// <summary>The next update; fails with the raw traffic if none arrives in time or the socket ends.</summary>
    public async Task<RealtimeServerUpdate> NextAsync()
    {
        bool more;
        try
        {
            more = await _updates.MoveNextAsync().AsTask().WaitAsync(UpdateTimeout);
        }
        catch (TimeoutException)
        {
            await _lifetime.CancelAsync();
            throw new Xunit.Sdk.XunitException($"No update within {UpdateTimeout.TotalSeconds} s. Received so far:\n{Dump()}");
        }

        Assert.True(more, "The server closed the session. Received:\n" + Dump());
        return _updates.Current;
    }

    /// <summary>Updates up to and including the first one of type <typeparamref name="T"/>.</summary>
    public async Task<List<RealtimeServerUpdate>> CollectUntilAsync<T>()
        where T : RealtimeServerUpdate
    {
        var updates = new List<RealtimeServerUpdate>();
        while (true)
        {
            RealtimeServerUpdate update = await NextAsync();
            updates.Add(update);
            if (update is T)
            {
                return updates;
            }
        }
    }

    /// <summary>The next update, which must be a <typeparamref name="T"/>.</summary>
    public async Task<T> ExpectAsync<T>()
        where T : RealtimeServerUpdate
    {
        RealtimeServerUpdate update = await NextAsync();
        return update as T ?? throw new Xunit.Sdk.XunitException($"Expected {typeof(T).Name}, got {update.Kind}. Received:\n{Dump()}");
    }

    /// <summary>Wire type names, with runs of the same type (streamed deltas) collapsed to one entry.</summary>
    public static string[] CollapsedKinds(IEnumerable<RealtimeServerUpdate> updates)
    {
        var kinds = new List<string>();
        foreach (RealtimeServerUpdate update in updates)
        {
            string kind = update.Kind.ToString();
            if (kinds.Count == 0 || kinds[^1] != kind)
            {
                kinds.Add(kind);
            }
        }

        return [.. kinds];
    }

    /// <summary>The `event_id` of every received frame (the typed updates have no common property for it).</summary>
    public List<string?> RawEventIds()
    {
        var ids = new List<string?>();
        foreach (string frame in _rawFrames)
        {
            using var doc = JsonDocument.Parse(frame);
            ids.Add(doc.RootElement.TryGetProperty("event_id", out JsonElement id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null);
        }

        return ids;
    }

    /// <summary>The raw frames whose `type` is <paramref name="type"/>.</summary>
    public List<JsonElement> RawFramesOfType(string type)
    {
        var frames = new List<JsonElement>();
        foreach (string frame in _rawFrames)
        {
            using var doc = JsonDocument.Parse(frame);
            if (doc.RootElement.GetProperty("type").GetString() == type)
            {
                frames.Add(doc.RootElement.Clone());
            }
        }

        return frames;
    }

    public string Dump()
    {
        var text = new StringBuilder();
        foreach (string frame in _rawFrames)
        {
            // Audio deltas are long and say nothing useful in a failure message.
            text.AppendLine(frame.Length > 400 ? frame[..400] + "…" : frame);
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync();
        try
        {
            await _updates.DisposeAsync();
        }
        catch (OperationCanceledException)
        {
            // The receive loop ends by cancellation; nothing to clean up beyond the socket.
        }

        Session.Dispose();
        _lifetime.Dispose();
    }
}
