using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Realtime.EndToEnd.Tests.Cluster;

/// <summary>
/// Three real server processes behind HAProxy on loopback (least connections for upgrades, `/readyz` checks):
/// sessions spread, a client secret works on whichever replica a socket lands on, and a replica stopped with SIGTERM
/// under load drains (1001 after the current response), leaves the pool before it stops accepting, and no new
/// session fails. Runs alone: it starts four processes and 300 sessions.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MultiReplicaTests
{
    private const int Sessions = 300;
    private const string TextTurn = """{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"cluster hello"}]}}""";
    private const string TextResponse = """{"type":"response.create","response":{"output_modalities":["text"]}}""";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Three_replicas_share_sessions_and_secrets_and_one_drains_under_load_without_a_failed_upgrade()
    {
        await using LoopbackCluster cluster = await LoopbackCluster.StartAsync(replicas: 3, drainDelaySeconds: 2, Cancel);
        long[] rssBefore = [.. cluster.Replicas.Select(r => r.ResidentBytes())];
        var sessions = new List<RealtimeSocket>();
        try
        {
            // 300 sessions through the balancer, ten upgrades at a time; each replica's share from its own /metrics.
            for (int opened = 0; opened < Sessions; opened += 10)
            {
                sessions.AddRange(await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => RealtimeSocket.ConnectAsync(cluster.WsBase, LoopbackCluster.ApiKey))));
            }

            double[] shares = await Task.WhenAll(cluster.Replicas.Select(r => r.MetricAsync("realtime_sessions_open", Cancel)));
            Assert.Equal(Sessions, shares.Sum());
            string view = await cluster.StatsCsvAsync(Cancel);
            Assert.True(shares.All(share => share is >= 80 and <= 120), $"shares {string.Join(", ", shares)}\n{view}\n{string.Join('\n', cluster.BalancerLog)}");
            ReportMemory(cluster, rssBefore, shares);

            await SecretMintedThroughTheBalancerWorksOnEveryReplicaAsync(cluster);
            await OneReplicaDrainsUnderLoadAsync(cluster, sessions);

            Assert.All(cluster.Replicas, r => Assert.True(!r.Errors.Any(), r.Name + " logged errors:\n" + r.LogText));
        }
        finally
        {
            await Task.WhenAll(sessions.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    private static async Task SecretMintedThroughTheBalancerWorksOnEveryReplicaAsync(LoopbackCluster cluster)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Balancer, "/v1/realtime/client_secrets"))
        {
            Content = new StringContent("""{"session":{"type":"realtime","instructions":"Minted behind the balancer."}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LoopbackCluster.ApiKey);
        using HttpResponseMessage minted = await http.SendAsync(request, Cancel);
        string body = await minted.Content.ReadAsStringAsync(Cancel);
        Assert.True(minted.IsSuccessStatusCode, body);
        string secret = JsonDocument.Parse(body).RootElement.GetProperty("value").GetString()!;

        // On each replica directly (whichever one minted it), and through the balancer wherever the sockets land.
        IEnumerable<string> targets = cluster.Replicas.Select(r => r.WsBase).Concat(Enumerable.Repeat(cluster.WsBase, 3));
        foreach (string target in targets)
        {
            await using RealtimeSocket socket = await RealtimeSocket.ConnectAsync(target, secret);
            JsonElement created = await socket.WaitFor("session.created");
            Assert.Equal("Minted behind the balancer.", created.GetProperty("session").GetProperty("instructions").GetString());
        }
    }

    private static async Task OneReplicaDrainsUnderLoadAsync(LoopbackCluster cluster, List<RealtimeSocket> sessions)
    {
        LoopbackCluster.Replica leaving = cluster.Replicas[0];
        double leavingSessions = await leaving.MetricAsync("realtime_sessions_open", Cancel);

        // New sessions keep coming through the balancer, each with a text turn, during the whole drain.
        using var stopLoad = new CancellationTokenSource();
        var failures = new ConcurrentQueue<string>();
        int completedTurns = 0;
        int goneAway = 0;
        Task[] load = [.. Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                RealtimeSocket? opened = null;
                try
                {
                    await using RealtimeSocket socket = await RealtimeSocket.ConnectAsync(cluster.WsBase, LoopbackCluster.ApiKey);
                    opened = socket;
                    await socket.SendAsync(TextTurn);
                    await socket.SendAsync(TextResponse);
                    Task<JsonElement> answered = socket.WaitFor("response.done");
                    await Task.WhenAny(answered, socket.Completion);
                    if (!answered.IsCompleted && socket.CloseStatus == WebSocketCloseStatus.EndpointUnavailable && !socket.OfType("response.created").Any())
                    {
                        // Accepted by the leaving replica just before its drain began and closed with 1001 before its
                        // response started (the drain closes idle sessions at once; it cannot know what the client has
                        // in flight): a client reconnects, as this loop's next round does. Not a failed session.
                        Interlocked.Increment(ref goneAway);
                        continue;
                    }

                    JsonElement done = await answered;
                    Assert.Equal("completed", done.GetProperty("response").GetProperty("status").GetString());
                    Interlocked.Increment(ref completedTurns);
                }
                catch (Exception e)
                {
                    failures.Enqueue(e.GetType().Name + ": " + e.Message + (opened?.CloseStatus is { } status ? $" (closed with {(int)status})" : ""));
                }
            }
        }))];
        await LoopbackCluster.WaitForAsync(() => Task.FromResult(Volatile.Read(ref completedTurns) >= 8), "load running", Cancel);

        // A response in progress on every fifth held session when the signal comes.
        RealtimeSocket[] responding = [.. sessions.Where((_, i) => i % 5 == 0)];
        await Task.WhenAll(responding.Select(async s =>
        {
            await s.SendAsync(TextTurn);
            await s.SendAsync(TextResponse);
            // Started on the server before the signal: a response.create still in flight when the drain closes the
            // session is not a response in progress, and would get no response.done.
            await s.WaitFor("response.created");
        }));
        leaving.Terminate();

        // While it drains: /readyz answers 503 "draining", and HAProxy marks it DOWN while it still accepts.
        bool sawDraining = false;
        bool downWhileAccepting = false;
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (!leaving.Process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            HttpResponseMessage? ready = null;
            try
            {
                ready = await probe.GetAsync(new Uri(leaving.Http, "/readyz"), Cancel);
            }
            catch (HttpRequestException)
            {
                break; // the listener has closed
            }

            using (ready)
            {
                if (ready.StatusCode == HttpStatusCode.ServiceUnavailable && (await ready.Content.ReadAsStringAsync(Cancel)).Contains("\"draining\":true", StringComparison.Ordinal))
                {
                    sawDraining = true;
                    downWhileAccepting |= (await cluster.ServerStatesAsync(Cancel))[leaving.Name].StartsWith("DOWN", StringComparison.Ordinal);
                }
            }

            await Task.Delay(50, Cancel);
        }

        Assert.True(sawDraining, "never saw /readyz say draining\n" + leaving.LogText);
        Assert.True(downWhileAccepting, "HAProxy did not take the replica out while it still accepted connections\n" + string.Join('\n', cluster.BalancerLog));
        using (var exited = CancellationTokenSource.CreateLinkedTokenSource(Cancel))
        {
            exited.CancelAfter(TimeSpan.FromSeconds(60));
            await leaving.Process.WaitForExitAsync(exited.Token);
        }

        Assert.Equal(0, leaving.Process.ExitCode);
        int afterExit = Volatile.Read(ref completedTurns);
        await LoopbackCluster.WaitForAsync(() => Task.FromResult(Volatile.Read(ref completedTurns) >= afterExit + 8), "sessions on the remaining replicas", Cancel);
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);
        TestContext.Current.TestOutputHelper?.WriteLine($"new sessions closed with 1001 by the leaving replica before their response started (reconnected): {Volatile.Read(ref goneAway)}");
        Assert.True(failures.IsEmpty, $"{failures.Count} new sessions failed during the drain:\n{string.Join('\n', failures.Take(10))}\n{string.Join('\n', cluster.BalancerLog.TakeLast(20))}");

        // Exactly the leaving replica's sessions ended, all with 1001; one with a response running got its response.done first.
        RealtimeSocket[] ended = [.. sessions.Where(s => s.Completion.IsCompleted)];
        Assert.Equal(leavingSessions, ended.Length);
        Assert.All(ended, s => Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, s.CloseStatus));
        foreach (RealtimeSocket s in ended.Intersect(responding))
        {
            JsonElement done = Assert.Single(s.OfType("response.done"));
            Assert.Equal("completed", done.GetProperty("response").GetProperty("status").GetString());
        }

        Assert.Contains(ended, s => responding.Contains(s));
    }

    private static void ReportMemory(LoopbackCluster cluster, long[] rssBefore, double[] shares)
    {
        var text = new StringBuilder();
        for (int i = 0; i < cluster.Replicas.Count; i++)
        {
            long grown = cluster.Replicas[i].ResidentBytes() - rssBefore[i];
            text.AppendLine(CultureInfo.InvariantCulture, $"{cluster.Replicas[i].Name}: {shares[i]} idle sessions, RSS +{grown / 1024.0 / 1024.0:F1} MiB = {grown / shares[i] / 1024.0:F1} KiB per session");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(text.ToString());
        Directory.CreateDirectory(Path.Combine(Repo.Root, "artifacts"));
        File.WriteAllText(Path.Combine(Repo.Root, "artifacts", "cluster-memory.txt"), text.ToString());
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}
