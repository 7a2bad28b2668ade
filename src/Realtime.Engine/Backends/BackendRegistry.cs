using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Engine.Backends.Grpc;
using Realtime.Engine.Backends.OpenAiHttp;

namespace Realtime.Engine.Backends;

/// <summary>
/// Creates the stage clients from configured backend URIs. Exactly one connection (gRPC channel or HTTP
/// client) exists per backend address, shared by every session and profile; stage objects are cached per
/// (stage, address, model). <c>builtin:</c> URIs go to the caller's factories.
/// </summary>
public sealed class BackendRegistry : IDisposable
{
    private readonly BackendRegistryOptions _defaults;
    private readonly BackendRegistryBuiltins _builtins;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ConcurrentDictionary<string, Lazy<GrpcBackendClient>> _grpc = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<OpenAiHttpClient>> _http = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _stages = new(StringComparer.Ordinal);
    private readonly ILogger _retryLogger;

    public BackendRegistry(BackendRegistryOptions? defaults = null, BackendRegistryBuiltins? builtins = null, ILoggerFactory? loggerFactory = null)
    {
        _defaults = defaults ?? new BackendRegistryOptions();
        _builtins = builtins ?? new BackendRegistryBuiltins();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _retryLogger = _loggerFactory.CreateLogger<BackendRegistry>();
    }

    /// <summary>Remote VAD is gRPC-only; the OpenAI HTTP API has no VAD endpoint.</summary>
    public ISpeechDetector GetSpeechDetector(BackendUri uri, string? model = null, BackendRegistryOptions? options = null) =>
        Get(uri, model, options, "vad", _builtins.SpeechDetector,
            static (client, m) => new GrpcSpeechDetector(client, m),
            static (_, _) => throw new NotSupportedException("OpenAI-compatible HTTP servers have no VAD endpoint; use builtin:silero or grpc://."));

    public ISpeechRecognizer GetSpeechRecognizer(BackendUri uri, string? model = null, BackendRegistryOptions? options = null) =>
        Get(uri, model, options, "stt", _builtins.SpeechRecognizer,
            static (client, m) => new GrpcSpeechRecognizer(client, m),
            static (client, m) => new OpenAiSpeechRecognizer(client, m));

    // Remote LLM and TTS calls get the one retry rule (RetryOnce); recognition applies it in RecognitionJob.
    public IChatModel GetChatModel(BackendUri uri, string? model = null, BackendRegistryOptions? options = null) =>
        Get(uri, model, options, "llm", _builtins.ChatModel,
            (client, m) => new RetryingChatModel(new GrpcChatModel(client, m), client.Logger),
            (client, m) => new RetryingChatModel(new OpenAiChatModel(client, m), _retryLogger));

    public ISpeechSynthesizer GetSpeechSynthesizer(BackendUri uri, string? model = null, BackendRegistryOptions? options = null) =>
        Get(uri, model, options, "tts", _builtins.SpeechSynthesizer,
            (client, m) => new RetryingSpeechSynthesizer(new GrpcSpeechSynthesizer(client, m), client.Logger),
            (client, m) => new RetryingSpeechSynthesizer(new OpenAiSpeechSynthesizer(client, m), _retryLogger));

    private T Get<T>(
        BackendUri uri,
        string? model,
        BackendRegistryOptions? options,
        string stage,
        Func<string, string?, T>? builtin,
        Func<GrpcBackendClient, string?, T> grpc,
        Func<OpenAiHttpClient, string?, T> http)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(uri);
        model = string.IsNullOrWhiteSpace(model) ? null : model;
        var key = stage + "|" + uri.Canonical + "|" + model;
        if (_stages.TryGetValue(key, out var existing))
        {
            return (T)existing;
        }

        T created = uri.Kind switch
        {
            BackendUriKind.Builtin => builtin is null
                ? throw new InvalidOperationException($"No built-in {stage} engines are available (asked for {uri}).")
                : builtin(uri.BuiltinName!, model),
            BackendUriKind.Grpc => grpc(GrpcClient(uri, options ?? _defaults), model),
            _ => http(HttpClient(uri, options ?? _defaults), model),
        };
        return (T)_stages.GetOrAdd(key, created);
    }

    private GrpcBackendClient GrpcClient(BackendUri uri, BackendRegistryOptions options) =>
        _grpc.GetOrAdd(uri.Canonical, _ => new Lazy<GrpcBackendClient>(
            () => new GrpcBackendClient(uri, options, _loggerFactory.CreateLogger<GrpcBackendClient>()))).Value;

    private OpenAiHttpClient HttpClient(BackendUri uri, BackendRegistryOptions options) =>
        _http.GetOrAdd(uri.Canonical, _ => new Lazy<OpenAiHttpClient>(() => new OpenAiHttpClient(uri, options))).Value;

    public void Dispose()
    {
        foreach (var client in _grpc.Values)
        {
            if (client.IsValueCreated)
            {
                client.Value.Dispose();
            }
        }

        foreach (var client in _http.Values)
        {
            if (client.IsValueCreated)
            {
                client.Value.Dispose();
            }
        }

        _grpc.Clear();
        _http.Clear();
        _stages.Clear();
    }
}
