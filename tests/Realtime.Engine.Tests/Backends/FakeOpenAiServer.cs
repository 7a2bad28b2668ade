using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Realtime.Engine.Backends;

namespace Realtime.Engine.Tests.Backends;

/// <summary>
/// A minimal OpenAI-compatible server on 127.0.0.1:0. The last user message (chat), the prompt field
/// (transcriptions) or the voice (speech) selects the behaviour; every request is recorded.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeOpenAiServer(WebApplication app) => _app = app;

    public ConcurrentQueue<string> ChatBodies { get; } = new();
    public ConcurrentQueue<string> SpeechBodies { get; } = new();
    public ConcurrentQueue<Dictionary<string, string>> TranscriptionForms { get; } = new();
    public ConcurrentQueue<byte[]> TranscriptionFiles { get; } = new();
    public ConcurrentQueue<string> AuthHeaders { get; } = new();
    public TaskCompletionSource Aborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BackendUri Uri { get; private set; } = null!;

    public static async Task<FakeOpenAiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeOpenAiServer(app);
        app.Use(async (context, next) =>
        {
            server.AuthHeaders.Enqueue(context.Request.Headers.Authorization.ToString());
            if (!await server.InjectAsync(context))
            {
                await next(context);
            }
        });
        app.MapPost("/v1/chat/completions", server.ChatAsync);
        app.MapPost("/v1/audio/transcriptions", server.TranscribeAsync);
        app.MapPost("/v1/audio/speech", server.SpeechAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Uri = BackendUri.Parse(address + "/v1", "test");
        return server;
    }

    private HttpFault? _fault;
    private int _faultCalls;

    /// <summary>The fault in effect (null: none), reconfigurable while the server runs; setting it resets <see cref="FaultedCalls"/>.</summary>
    public HttpFault? Fault
    {
        get => Volatile.Read(ref _fault);
        set
        {
            Interlocked.Exchange(ref _faultCalls, 0);
            Volatile.Write(ref _fault, value);
        }
    }

    /// <summary>Requests to the faulted endpoint since the fault was set (retries included).</summary>
    public int FaultedCalls => Volatile.Read(ref _faultCalls);

    /// <summary>Answers the request with the fault when it applies (true: answered).</summary>
    private async Task<bool> InjectAsync(HttpContext context)
    {
        var fault = Fault;
        if (fault is null || !context.Request.Path.Value!.EndsWith(fault.Path, StringComparison.Ordinal))
        {
            return false;
        }

        if (Interlocked.Increment(ref _faultCalls) > fault.Times && fault.Times > 0)
        {
            return false;
        }

        await context.Request.Body.CopyToAsync(Stream.Null);
        switch (fault.Kind)
        {
            case HttpFaultKind.Status:
                context.Response.StatusCode = fault.Status;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"error":{"message":"injected failure","type":"server_error"}}""");
                break;
            case HttpFaultKind.NotJson:
                // A proxy's page with status 200.
                context.Response.ContentType = "text/html";
                await context.Response.WriteAsync("<html><body><h1>It works!</h1></body></html>");
                break;
            case HttpFaultKind.SseWithoutDone:
                context.Response.ContentType = "text/event-stream";
                await Event(context, Chunk("""{"role":"assistant","content":"Hello"}"""));
                break;
            case HttpFaultKind.Hang:
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    Aborted.TrySetResult();
                }

                break;
        }

        return true;
    }

    private static async Task Event(HttpContext context, string json)
    {
        await context.Response.WriteAsync("data: " + json + "\n\n");
        await context.Response.Body.FlushAsync();
    }

    private static string Chunk(string delta, string? finish = null) =>
        $$"""{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{(finish is null ? "null" : "\"" + finish + "\"")}}}]}""";

    private async Task ChatAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        ChatBodies.Enqueue(body);
        using var document = JsonDocument.Parse(body);
        var messages = document.RootElement.GetProperty("messages");
        var last = messages[messages.GetArrayLength() - 1];
        var prompt = last.GetProperty("content").GetString() ?? "";
        if (prompt.Contains("[http-error]"))
        {
            context.Response.StatusCode = 503;
            await context.Response.WriteAsync("""{"error":{"message":"model is loading","type":"server_error"}}""");
            return;
        }

        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync(": keepalive\n\n");
        await Event(context, Chunk("""{"role":"assistant","content":""}"""));
        if (last.GetProperty("role").GetString() == "tool")
        {
            await Event(context, Chunk("""{"content":"Tool said: """ + prompt + "\"}", "stop"));
        }
        else if (prompt.StartsWith("[DTMF 0", StringComparison.Ordinal))
        {
            // A phone agent that hangs up when the caller presses 0 (telephony tests).
            await Event(context, Chunk("""{"tool_calls":[{"index":0,"id":"call_http_end","type":"function","function":{"name":"end_call","arguments":"{}"}}]}"""));
            await Event(context, Chunk("{}", "tool_calls"));
        }
        else if (prompt.Contains("[tool]"))
        {
            await Event(context, Chunk("""{"tool_calls":[{"index":0,"id":"call_http_1","type":"function","function":{"name":"get_weather","arguments":""}}]}"""));
            await Event(context, Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}"""));
            await Event(context, Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}"""));
            await Event(context, Chunk("""{"tool_calls":[{"index":1,"function":{"name":"get_time","arguments":"{}"}}]}"""));
            await Event(context, Chunk("{}", "stop"));
        }
        else if (prompt.Contains("[think-inline]"))
        {
            await Event(context, Chunk("""{"content":"<think>let me"}"""));
            await Event(context, Chunk("""{"content":" see</think>\n\nAnswer."}""", "stop"));
        }
        else if (prompt.Contains("[stall]"))
        {
            await Event(context, Chunk("""{"content":"Hello"}"""));
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                Aborted.TrySetResult();
            }

            return;
        }
        else
        {
            await Event(context, Chunk("""{"content":"Hello"}"""));
            await Event(context, Chunk("""{"content":" from http."}"""));
            if (prompt.Contains("[error-mid]"))
            {
                await Event(context, """{"error":{"message":"out of memory","type":"server_error"}}""");
                return;
            }

            if (prompt.Contains("[truncated]"))
            {
                return;
            }

            if (prompt.Contains("[garbage]"))
            {
                await Event(context, "not json at all");
                return;
            }

            await Event(context, Chunk("{}", "stop"));
        }

        await Event(context, """{"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":4,"total_tokens":11}}""");
        await Event(context, "[DONE]");
    }

    private async Task TranscribeAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var fields = form.ToDictionary(f => f.Key, f => f.Value.ToString());
        var file = form.Files["file"]!;
        fields["file.name"] = file.FileName;
        fields["file.type"] = file.ContentType;
        TranscriptionForms.Enqueue(fields);
        using var memory = new MemoryStream();
        await file.CopyToAsync(memory);
        TranscriptionFiles.Enqueue(memory.ToArray());
        var prompt = fields.GetValueOrDefault("prompt") ?? "";
        if (fields.GetValueOrDefault("stream") == "true")
        {
            context.Response.ContentType = "text/event-stream";
            if (prompt.Contains("error"))
            {
                await Event(context, """{"type":"error","error":{"message":"decoder crashed"}}""");
                await Event(context, "[DONE]");
                return;
            }

            if (prompt.Contains("vllm"))
            {
                await Event(context, """{"object":"transcription.chunk","choices":[{"delta":{"content":"hello"}}]}""");
                await Event(context, """{"object":"transcription.chunk","choices":[{"delta":{"content":" world"}}]}""");
                await Event(context, "[DONE]");
                return;
            }

            // Cumulative deltas (some servers): the client must append only the new suffix.
            var cumulative = prompt.Contains("cumulative");
            await Event(context, """{"type":"transcript.text.delta","delta":"hello"}""");
            await Event(context, cumulative ? """{"type":"transcript.text.delta","delta":"hello world"}""" : """{"type":"transcript.text.delta","delta":" world"}""");
            await Event(context, """{"type":"transcript.text.done","text":"hello world"}""");
            await Event(context, "[DONE]");
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("""{"text":" hello world "}""");
    }

    private async Task SpeechAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        SpeechBodies.Enqueue(body);
        using var document = JsonDocument.Parse(body);
        var format = document.RootElement.GetProperty("response_format").GetString();
        var voice = document.RootElement.GetProperty("voice").GetString();
        var text = document.RootElement.GetProperty("input").GetString()!;
        // "localai" voice: WAV at the backend's native rate even when pcm was asked for.
        var rate = voice == "localai" ? 16_000 : 24_000;
        var pcm = FakeBackend.Bytes(FakeBackend.Speech(text, rate));
        context.Response.ContentType = format == "pcm" && voice != "localai" ? "audio/pcm" : "audio/wav";
        if (format == "wav" || voice == "localai")
        {
            await context.Response.Body.WriteAsync(FakeBackend.WavHeader(rate, voice == "localai" ? uint.MaxValue : (uint)pcm.Length));
        }

        for (var offset = 0; offset < pcm.Length; offset += 1001)
        {
            await context.Response.Body.WriteAsync(pcm.AsMemory(offset, Math.Min(1001, pcm.Length - offset)));
            await context.Response.Body.FlushAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>How an injected HTTP fault answers.</summary>
public enum HttpFaultKind
{
    /// <summary>The status with an OpenAI error body.</summary>
    Status,

    /// <summary>200 with an HTML page instead of JSON, audio or an event stream.</summary>
    NotJson,

    /// <summary>An event stream with one chunk that ends without <c>[DONE]</c>.</summary>
    SseWithoutDone,

    /// <summary>No answer until the client gives up.</summary>
    Hang,
}

/// <summary>A fault for requests whose path ends with <paramref name="Path"/>: the first <paramref name="Times"/> (0: all).</summary>
public sealed record HttpFault(string Path, HttpFaultKind Kind, int Status = 200, int Times = 0);
