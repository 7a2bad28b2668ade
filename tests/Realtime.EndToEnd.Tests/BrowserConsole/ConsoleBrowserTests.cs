using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Realtime.EndToEnd.Tests.BrowserConsole;

/// <summary>
/// The browser console at `GET /`, in Debian's headless Chromium (installed by scripts/setup.sh; missing is a failure,
/// not a skip) with a fake microphone playing a shared fixture: tests/node/console-browser.mjs drives it over ws://
/// and wss:// and asserts on the page and on the socket frames. Screenshots of each state go to
/// artifacts/console-screenshots/.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ConsoleBrowserTests(ServerFixture server)
{
    private static readonly string[] States = ["idle", "connecting-api-key", "listening", "user-speaking", "responding", "barge-in", "tool-call", "error", "conversation"];

    [Fact]
    public async Task PageTalksToTheServerInHeadlessChromium()
    {
        string shots = Path.Combine(Repo.Root, "artifacts", "console-screenshots");
        if (Directory.Exists(shots))
        {
            Directory.Delete(shots, recursive: true);
        }

        var environment = new Dictionary<string, string>
        {
            ["REALTIME_HTTP"] = $"http://{server.Http.Authority}",
            ["REALTIME_HTTPS"] = $"https://{server.Https.Authority}",
            ["CONSOLE_AUDIO"] = Path.GetDirectoryName(Repo.Audio("weather_question.wav"))!,
            ["CONSOLE_SCREENSHOTS"] = shots,
        };
        // A hang guard only: the script takes about 30 s, and waits for events, not durations.
        (int code, string output) = await NodeScript.RunAsync("console-browser.mjs", server.WsBase, ServerFixture.ApiKey, TimeSpan.FromSeconds(170), environment);
        Assert.True(code == 0, output);
        Assert.Contains("PASS", output, StringComparison.Ordinal);
        foreach (string state in States)
        {
            Assert.True(new FileInfo(Path.Combine(shots, state + ".png")).Length > 10_000, $"screenshot of {state}\n{output}");
        }
    }

    [Fact]
    public async Task PageAndAssetsComeFromTheBinary()
    {
        using var http = new HttpClient { BaseAddress = server.Http };
        using HttpResponseMessage page = await http.GetAsync(new Uri("/", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("<script type=\"module\" src=\"/console/console.js\"></script>", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        foreach (string asset in new[] { "console.js", "console.css", "capture-worklet.js", "playback-worklet.js" })
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri("/console/" + asset, UriKind.Relative), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Content.Headers.ContentLength > 500, asset);
            // Revalidation: the same ETag gets 304 and no body.
            using var again = new HttpRequestMessage(HttpMethod.Get, "/console/" + asset);
            again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
            using HttpResponseMessage notModified = await http.SendAsync(again, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }

        using HttpResponseMessage missing = await http.GetAsync(new Uri("/console/nothing.js", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task ModelsListTheProfilesToHoldersOfAKey()
    {
        using var http = new HttpClient { BaseAddress = server.Http };
        using HttpResponseMessage anonymous = await http.GetAsync(new Uri("/v1/models", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServerFixture.ApiKey);
        using HttpResponseMessage listed = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await listed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("list", body.RootElement.GetProperty("object").GetString());
        JsonElement only = Assert.Single(body.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal("default", only.GetProperty("id").GetString());
        Assert.Equal("model", only.GetProperty("object").GetString());
        Assert.True(only.GetProperty("default").GetBoolean());
    }

    /// <summary>A browser that got h2 by ALPN would open its WebSocket as an HTTP/2 CONNECT, which this server does not take.</summary>
    [Fact]
    public async Task HttpsOffersOnlyHttp11()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var http = new HttpClient(handler) { BaseAddress = server.Https };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower };
        using HttpResponseMessage response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version11, response.Version);
    }
}
