using Realtime.Engine.Backends;

namespace Realtime.Engine.Tests.Backends;

public sealed class BackendUriTests
{
    [Theory]
    [InlineData("builtin:silero", BackendUriKind.Builtin, "builtin:silero", null, false)]
    [InlineData(" builtin:Espeak-NG ", BackendUriKind.Builtin, "builtin:espeak-ng", null, false)]
    [InlineData("grpc://127.0.0.1:50051", BackendUriKind.Grpc, "grpc://127.0.0.1:50051", "http://127.0.0.1:50051/", false)]
    [InlineData("grpc://LocalAI:9000/", BackendUriKind.Grpc, "grpc://localai:9000", "http://localai:9000/", false)]
    [InlineData("grpc://dns:///whisper.svc:9000", BackendUriKind.Grpc, "dns:///whisper.svc:9000", "dns:///whisper.svc:9000", true)]
    [InlineData("dns:///whisper.svc:9000", BackendUriKind.Grpc, "dns:///whisper.svc:9000", "dns:///whisper.svc:9000", true)]
    [InlineData("http://localhost:8080/v1", BackendUriKind.OpenAiHttp, "http://localhost:8080/v1", "http://localhost:8080/v1", false)]
    [InlineData("https://api.example.com/v1/", BackendUriKind.OpenAiHttp, "https://api.example.com:443/v1", "https://api.example.com/v1", false)]
    public void Parses_every_supported_form(string text, BackendUriKind kind, string canonical, string? address, bool balanced)
    {
        var uri = BackendUri.Parse(text, "Realtime:Models:default:Llm:Backend");

        Assert.Equal(kind, uri.Kind);
        Assert.Equal(canonical, uri.Canonical);
        Assert.Equal(address, uri.Address?.OriginalString.Length > 0 ? uri.Address.ToString() : null);
        Assert.Equal(balanced, uri.IsLoadBalanced);
    }

    [Fact]
    public void Same_address_written_differently_is_equal()
    {
        Assert.Equal(BackendUri.Parse("grpc://LOCALHOST:1", "k"), BackendUri.Parse("grpc://localhost:1/", "k"));
        Assert.Equal("silero", BackendUri.Parse("builtin:silero", "k").BuiltinName);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("builtin:", "builtin engine name")]
    [InlineData("builtin:bad name", "builtin engine name")]
    [InlineData("grpc://host", "host:port")]
    [InlineData("grpc://host:0", "port")]
    [InlineData("grpc://host:99999", "port")]
    [InlineData("grpc://host:12ab", "port")]
    [InlineData("grpc://bad_host!:1", "host name")]
    [InlineData("dns:///:1", "host:port")]
    [InlineData("http://", "absolute")]
    [InlineData("http://user:pw@host/v1", "credentials")]
    [InlineData("ftp://host/v1", "unknown scheme")]
    [InlineData("localhost:8080", "unknown scheme")]
    public void Malformed_values_name_the_configuration_key(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => BackendUri.Parse(text, "Realtime:Models:default:Tts:Backend"));

        Assert.Contains("'Realtime:Models:default:Tts:Backend'", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.Contains("grpc://host:port", e.Message);
    }
}
