using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Realtime.Engine.Backends;

/// <summary>
/// A validated backend address from configuration. Parsing fails with a message that names the
/// configuration key, so a typo is found at startup rather than at the first session.
/// </summary>
public sealed class BackendUri : IEquatable<BackendUri>
{
    private const string Expected = "expected builtin:NAME, grpc://host:port, grpc://dns:///host:port, dns:///host:port or http(s)://host:port/v1";

    private BackendUri(BackendUriKind kind, string canonical, string? builtinName, Uri? address, bool loadBalanced)
    {
        Kind = kind;
        Canonical = canonical;
        BuiltinName = builtinName;
        Address = address;
        IsLoadBalanced = loadBalanced;
    }

    public BackendUriKind Kind { get; }

    /// <summary>Normalized text; two URIs with the same text reach the same backend (the registry's cache key).</summary>
    public string Canonical { get; }

    /// <summary>For <see cref="BackendUriKind.Builtin"/>: the engine name after <c>builtin:</c>.</summary>
    public string? BuiltinName { get; }

    /// <summary>
    /// For gRPC: the channel address (<c>http://host:port</c>, or <c>dns:///host:port</c> when load-balanced).
    /// For HTTP: the API base (e.g. <c>http://host:port/v1</c>, no trailing slash).
    /// </summary>
    public Uri? Address { get; }

    /// <summary>gRPC target resolved through DNS with client-side round-robin across the addresses.</summary>
    public bool IsLoadBalanced { get; }

    public override string ToString() => Canonical;

    public bool Equals(BackendUri? other) => other is not null && string.Equals(Canonical, other.Canonical, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as BackendUri);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Canonical);

    /// <summary>Parses <paramref name="value"/>; <paramref name="configKey"/> is only used in the error message.</summary>
    /// <exception cref="FormatException">The value is missing or malformed.</exception>
    public static BackendUri Parse(string? value, string configKey)
    {
        if (TryParse(value, out var uri, out var reason))
        {
            return uri;
        }

        throw new FormatException(string.Create(CultureInfo.InvariantCulture,
            $"Invalid backend '{value}' for configuration key '{configKey}': {reason}; {Expected}."));
    }

    public static bool TryParse(string? value, [NotNullWhen(true)] out BackendUri? uri, out string reason)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            reason = "the value is empty";
            return false;
        }

        var text = value.Trim();
        if (text.StartsWith("builtin:", StringComparison.OrdinalIgnoreCase))
        {
            var name = text["builtin:".Length..];
            if (name.Length == 0 || !IsEngineName(name))
            {
                reason = "the builtin engine name must be letters, digits, '-', '_' or '.'";
                return false;
            }

            var lower = name.ToLowerInvariant();
            uri = new BackendUri(BackendUriKind.Builtin, "builtin:" + lower, lower, null, false);
            reason = string.Empty;
            return true;
        }

        if (text.StartsWith("grpc://dns:///", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseGrpc(text["grpc://dns:///".Length..], loadBalanced: true, out uri, out reason);
        }

        if (text.StartsWith("dns:///", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseGrpc(text["dns:///".Length..], loadBalanced: true, out uri, out reason);
        }

        if (text.StartsWith("grpc://", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseGrpc(text["grpc://".Length..], loadBalanced: false, out uri, out reason);
        }

        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var http) || http.Host.Length == 0)
            {
                reason = "not a valid absolute http(s) URL";
                return false;
            }

            if (http.Query.Length > 0 || http.Fragment.Length > 0 || http.UserInfo.Length > 0)
            {
                reason = "the URL must not carry a query, fragment or credentials (use the API key setting)";
                return false;
            }

            var path = http.AbsolutePath.TrimEnd('/');
            var canonical = string.Create(CultureInfo.InvariantCulture,
                $"{http.Scheme}://{http.Host.ToLowerInvariant()}:{http.Port}{path}");
            uri = new BackendUri(BackendUriKind.OpenAiHttp, canonical, null, new Uri(canonical), false);
            reason = string.Empty;
            return true;
        }

        reason = "unknown scheme";
        return false;
    }

    private static bool TryParseGrpc(string hostPort, bool loadBalanced, [NotNullWhen(true)] out BackendUri? uri, out string reason)
    {
        uri = null;
        hostPort = hostPort.TrimEnd('/');
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || hostPort.Contains('/', StringComparison.Ordinal))
        {
            reason = "a gRPC backend needs host:port";
            return false;
        }

        var host = hostPort[..colon];
        if (!int.TryParse(hostPort.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            reason = "the port must be a number from 1 to 65535";
            return false;
        }

        var bracketed = host.StartsWith('[') && host.EndsWith(']');
        if (!bracketed && Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            reason = $"'{host}' is not a valid host name";
            return false;
        }

        host = host.ToLowerInvariant();
        var hostPortText = host + ":" + port.ToString(CultureInfo.InvariantCulture);
        var canonical = (loadBalanced ? "dns:///" : "grpc://") + hostPortText;
        var address = new Uri((loadBalanced ? "dns:///" : "http://") + hostPortText);
        uri = new BackendUri(BackendUriKind.Grpc, canonical, null, address, loadBalanced);
        reason = string.Empty;
        return true;
    }

    private static bool IsEngineName(string name)
    {
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
