using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Realtime.EndToEnd.Tests;

/// <summary>
/// The NativeAOT single binary serves the same contracts: `dotnet publish src/Realtime.Host -c Release -r linux-x64`
/// (warnings are errors, so a trim/AOT warning fails the publish), then a realtime session against the binary.
/// Runs alone after the parallel tests, since the publish takes both cores for a few minutes.
/// </summary>
[Collection(NativeAotCollection.Name)]
public sealed class NativeAotTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PublishedBinaryServesATextTurn()
    {
        string output = Path.Combine(Repo.Root, "artifacts", "aot");
        (int code, string log) = await RunAsync("dotnet", ["publish", "src/Realtime.Host", "-c", "Release", "-r", "linux-x64", "-o", output, "--nologo", "-v", "quiet"], TimeSpan.FromMinutes(12));
        Assert.True(code == 0, log);
        string binary = Path.Combine(output, "realtime-fast");
        Assert.True(File.Exists(binary), log);

        int port = FreePort();
        using Process server = Process.Start(new ProcessStartInfo(binary)
        {
            ArgumentList = { "--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default=Warning" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            using var http = new HttpClient();
            // Listening comes first; /readyz answers 200 once the engines have loaded (503 "engines loading" before).
            await PollAsync(() => http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/readyz"), Cancel));
            string health = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/healthz"), Cancel);
            Assert.Contains("\"builtin:echo\":{\"ready\":true", health, StringComparison.Ordinal);

            // The browser console is embedded in the binary: the page and every asset it loads come from the AOT build.
            string page = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"), Cancel);
            Assert.Contains("id=\"transcript\"", page, StringComparison.Ordinal);
            string pageAndScript = page + await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/console/console.js"), Cancel);
            foreach (string asset in new[] { "console.js", "console.css", "capture-worklet.js", "playback-worklet.js" })
            {
                Assert.Contains($"/console/{asset}", pageAndScript, StringComparison.Ordinal);
                using HttpResponseMessage served = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/console/{asset}"), Cancel);
                Assert.Equal(System.Net.HttpStatusCode.OK, served.StatusCode);
                Assert.True((await served.Content.ReadAsByteArrayAsync(Cancel)).Length > 500, asset);
            }

            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"), Cancel);
            Assert.Equal("session.created", (await ReceiveAsync(socket)).GetProperty("type").GetString());
            await SendAsync(socket, """{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}""");
            await SendAsync(socket, """{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"native hello"}]}}""");
            await SendAsync(socket, """{"type":"response.create"}""");
            string text = "";
            while (true)
            {
                JsonElement e = await ReceiveAsync(socket);
                string type = e.GetProperty("type").GetString()!;
                if (type == "response.output_text.done")
                {
                    text = e.GetProperty("text").GetString()!;
                }

                if (type == "response.done")
                {
                    Assert.Equal("completed", e.GetProperty("response").GetProperty("status").GetString());
                    break;
                }
            }

            Assert.Equal("You said: native hello", text);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "OK", Cancel);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task<string> PollAsync(Func<Task<string>> probe)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await probe();
            }
            catch (HttpRequestException) when (attempt < 200)
            {
                await Task.Delay(100, Cancel);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task SendAsync(ClientWebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, Cancel);

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket) =>
        await WebSocketJson.ReceiveAsync(socket, Cancel) ?? throw new InvalidOperationException("the server closed the connection");

    private static async Task<(int Code, string Log)> RunAsync(string file, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(Cancel);
        Task<string> stderr = process.StandardError.ReadToEndAsync(Cancel);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        cts.CancelAfter(timeout);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeAotCollection
{
    public const string Name = "native-aot";
}
