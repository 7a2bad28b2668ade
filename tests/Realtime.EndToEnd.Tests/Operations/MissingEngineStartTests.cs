using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Realtime.Engine.Tests.Backends;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>
/// `dotnet run --project src/Realtime.Host` where scripts/setup.sh has not run, simulated by configuration (no
/// package is removed): espeak-ng's library under a name that does not exist and pocketsphinx pointed at a model
/// directory that does not exist. Deliberate outcome: the server stays up. Each missing piece is one log line naming
/// it, its Debian package, the install command and the setting that swaps the engine, with no stack trace;
/// `/healthz` is live, `/readyz` is 503 with the same reasons; a session of the profile that needs them gets an
/// `error` (server_error, engine_unavailable) with that text and close 1011; a profile served by backends still works.
/// </summary>
public sealed class MissingEngineStartTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithoutTheSpeechPackagesTheServerStaysUpAndSaysWhatIsMissing()
    {
        await using FakeBackendHost backend = await FakeBackendHost.StartAsync();
        string configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/')))!;
        string server = Path.Combine(Repo.Root, "src", "Realtime.Host", "bin", configuration, "net10.0", "realtime-fast.dll");
        int port = FreePort();
        string[] arguments =
        [
            server, "--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default=Warning",
            "--Realtime:Engines:EspeakLibrary=libespeak-ng-not-installed.so.1",
            "--Realtime:Engines:PocketSphinxModelDirectory=/nonexistent/pocketsphinx/en-us",
            .. RemoteBackendFixture.RemoteProfile($"grpc://127.0.0.1:{backend.Port}"),
            // The embedded engines, as the default: its unset stages are pocketsphinx and espeak-ng.
            "--Realtime:Models:local:Llm:Backend=builtin:echo",
            "--Realtime:DefaultModel=local",
        ];
        var start = new ProcessStartInfo("dotnet", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repo.Root,
        };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(Cancel);
        Task<string> stderr = process.StandardError.ReadToEndAsync(Cancel);
        try
        {
            using var http = new HttpClient();
            JsonElement ready = await ReadyWhenLoadedAsync(http, port);
            string[] reasons = [.. ready.GetProperty("not_ready").EnumerateArray().Select(r => r.GetString()!)];
            string espeak = Assert.Single(reasons, r => r.StartsWith("builtin:espeak-ng: ", StringComparison.Ordinal));
            Assert.Contains("libespeak-ng-not-installed.so.1 is not installed (Debian package libespeak-ng1)", espeak, StringComparison.Ordinal);
            Assert.Contains("`bash scripts/setup.sh` or `sudo apt-get install -y libespeak-ng1`", espeak, StringComparison.Ordinal);
            Assert.Contains("Realtime:Models:<profile>:Tts:Backend=", espeak, StringComparison.Ordinal);
            string sphinx = Assert.Single(reasons, r => r.StartsWith("builtin:pocketsphinx: ", StringComparison.Ordinal));
            Assert.Contains("/nonexistent/pocketsphinx/en-us (Debian package pocketsphinx-en-us", sphinx, StringComparison.Ordinal);
            Assert.Contains("`sudo apt-get install -y pocketsphinx pocketsphinx-en-us`", sphinx, StringComparison.Ordinal);
            Assert.Contains("Realtime:Models:<profile>:Transcription:Backend=", sphinx, StringComparison.Ordinal);
            Assert.Contains(reasons, r => r.StartsWith("profile local cannot serve: builtin:", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"), Cancel)).StatusCode);

            // The default profile needs the missing engines: refused, with the reason.
            await using (RealtimeSocket refused = await ConnectRefusedAsync(port, "model=gpt-realtime"))
            {
                JsonElement error = refused.OfType("error").Single().GetProperty("error");
                Assert.Equal(("server_error", "engine_unavailable"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
                Assert.Contains("cannot start", error.GetProperty("message").GetString(), StringComparison.Ordinal);
                await refused.Completion.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
                Assert.Equal((System.Net.WebSockets.WebSocketCloseStatus)1011, refused.CloseStatus);
            }

            // A profile whose stages are served by a backend is unaffected.
            await using (RealtimeSocket remote = await RealtimeSocket.ConnectAsync($"ws://127.0.0.1:{port}/v1", "unused", "model=remote"))
            {
                await remote.SendAsync(Faults.Turns.TextOnly);
                await remote.WaitFor("session.updated");
                JsonElement done = await Faults.Turns.RunAsync(remote, "hello");
                Assert.Equal("completed", Faults.Turns.Status(done));
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Cancel);
        }

        string log = await stdout + await stderr;
        string[] lines = log.Split('\n');
        Assert.Single(lines, l => l.Contains("libespeak-ng-not-installed.so.1 is not installed", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("its en-us model is not in /nonexistent/pocketsphinx/en-us", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain("Exception", log, StringComparison.Ordinal);
    }

    /// <summary>/readyz once the engines have loaded (503 "engines loading" before): here 503 with the reasons.</summary>
    private static async Task<JsonElement> ReadyWhenLoadedAsync(HttpClient http, int port)
    {
        long deadline = Environment.TickCount64 + 60_000;
        while (true)
        {
            Assert.True(Environment.TickCount64 < deadline, "the server never finished loading its engines");
            try
            {
                using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"), Cancel);
                using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
                JsonElement root = body.RootElement.Clone();
                if (!root.GetProperty("not_ready").EnumerateArray().Any(r => r.GetString() == "engines loading"))
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                    return root;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50, Cancel);
        }
    }

    /// <summary>A refused session sends its error and closes at once; the socket client still records both.</summary>
    private static async Task<RealtimeSocket> ConnectRefusedAsync(int port, string query)
    {
        RealtimeSocket socket = await RealtimeSocket.ConnectAsync($"ws://127.0.0.1:{port}/v1", "unused", query, waitForCreated: false);
        await socket.WaitFor("error");
        return socket;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
