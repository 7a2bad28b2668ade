namespace Realtime.EndToEnd.Tests.Faults;

/// <summary>
/// Fault 4: the client vanishes mid-response — a TCP reset, no close frame — while audio deltas stream. The
/// backend's TTS call is cancelled (the fake sees it), the session is released and disposed with its connection,
/// and the server serves others.
/// </summary>
public sealed class ClientDisconnectTests
{
    [Fact]
    public async Task TcpResetWhileAudioStreamsCancelsTheBackendCallAndReleasesTheSession()
    {
        using var connections = new ServerConnections();
        await using FaultServer server = await FaultServer.StartAsync();
        await using RawRealtimeClient client = await server.ConnectRawAsync();
        await client.ReadUntilEventAsync("session.created");
        // Twelve words spoken 100 ms a chunk, each chunk 100 ms after the last: over a second of streaming.
        await client.SendTextAsync(Turns.UserText("[echo] [slow:100] one two three four five six seven eight nine ten eleven twelve"));
        await client.SendTextAsync("""{"type":"response.create"}""");
        await client.ReadUntilEventAsync("response.output_audio.delta");
        Assert.Equal(1, server.OpenSessions);
        Assert.False(server.Fake.Cancelled);

        client.Abort();

        Assert.True(await Turns.EventuallyAsync(() => server.Fake.Cancelled), "the TTS call went on after the client was gone");
        await server.AssertNoSessionLeftAsync();
        // The connection's run ends only after the session was disposed: no TCP connection left means both are gone.
        Assert.True(await Turns.EventuallyAsync(() => connections.OpenOn(server.Http.Port) == 0), "the server still holds the reset connection");
        await server.AssertServesAnotherSessionAsync();
        await server.AssertNoSessionLeftAsync();
    }
}
