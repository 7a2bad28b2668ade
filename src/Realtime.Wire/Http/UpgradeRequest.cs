namespace Realtime.Wire.Http;

/// <summary>The parts of an HTTP/1.1 upgrade request the handshake looks at (parsed once per connection).</summary>
public sealed class UpgradeRequest
{
    private readonly List<KeyValuePair<string, string>> _headers = [];

    /// <summary>Creates a request from its request line.</summary>
    public UpgradeRequest(string method, string target, string version)
    {
        Method = method;
        Target = target;
        Version = version;
    }

    /// <summary>The method token, e.g. GET.</summary>
    public string Method { get; }

    /// <summary>The request target: path plus optional query.</summary>
    public string Target { get; }

    /// <summary>The protocol version, e.g. HTTP/1.1.</summary>
    public string Version { get; }

    /// <summary>The path part of <see cref="Target"/>.</summary>
    public string Path => Target.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? Target[..q] : Target;

    /// <summary>Adds a header field (names compare case-insensitively).</summary>
    public void AddHeader(string name, string value) => _headers.Add(new(name, value));

    /// <summary>All values of a header joined by ", " (RFC 9110 §5.3), or null when absent.</summary>
    public string? GetHeader(string name)
    {
        string? joined = null;
        foreach (KeyValuePair<string, string> header in _headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                joined = joined is null ? header.Value : joined + ", " + header.Value;
            }
        }

        return joined;
    }

    /// <summary>Whether a comma-separated header contains <paramref name="token"/> (case-insensitive).</summary>
    public bool HeaderHasToken(string name, string token)
    {
        string? value = GetHeader(name);
        if (value is null)
        {
            return false;
        }

        foreach (Range part in value.AsSpan().Split(','))
        {
            if (value.AsSpan()[part].Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The URL-decoded value of a query parameter, or null when absent.</summary>
    public string? GetQueryParameter(string name)
    {
        int q = Target.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return null;
        }

        ReadOnlySpan<char> query = Target.AsSpan(q + 1);
        foreach (Range part in query.Split('&'))
        {
            ReadOnlySpan<char> pair = query[part];
            int eq = pair.IndexOf('=');
            ReadOnlySpan<char> key = eq < 0 ? pair : pair[..eq];
            if (Decode(key) == name)
            {
                return eq < 0 ? string.Empty : Decode(pair[(eq + 1)..]);
            }
        }

        return null;
    }

    private static string Decode(ReadOnlySpan<char> component) => Uri.UnescapeDataString(component.ToString().Replace('+', ' '));
}
