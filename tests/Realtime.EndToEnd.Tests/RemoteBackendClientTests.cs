namespace Realtime.EndToEnd.Tests;

/// <summary>The official agents SDK, unchanged, doing a tool round trip where the model is a LocalAI-style gRPC backend (the in-process fake).</summary>
public sealed class RemoteBackendClientTests(RemoteBackendFixture server) : IClassFixture<RemoteBackendFixture>
{
    [Fact]
    public async Task AgentsRealtimeToolRoundTripOnAGrpcBackend()
    {
        var environment = new Dictionary<string, string>
        {
            ["REALTIME_MODEL"] = "remote",
            // The fake backend answers `[tool:NAME]` with a structured call NAME({"city":"Paris"}) and a tool message with "Tool said: <output>".
            ["REALTIME_TOOL_PROMPT"] = "[tool:get_weather] What is the weather?",
            ["REALTIME_EXPECT"] = "Tool said: Sunny in Paris",
        };
        (int code, string output) = await NodeScript.RunAsync("agents-tool.mjs", server.WsBase, RemoteBackendFixture.ApiKey, TimeSpan.FromSeconds(240), environment);
        Assert.True(code == 0, output);

        // What the backend received on the follow-up: the tool output answering the call it made.
        Assert.Contains(server.Grpc.Backend.Requests.OfType<Realtime.Engine.Backends.Grpc.Protocol.PredictOptions>(),
            r => r.Messages.Any(m => m.Role == "tool" && m.Content == "Sunny in Paris" && m.ToolCallId.Length > 0));
    }
}
