namespace Realtime.Wire.Http;

/// <summary>Outcome of parsing a request head.</summary>
public enum UpgradeParseStatus
{
    /// <summary>The head is not complete yet.</summary>
    NeedMoreData,

    /// <summary>A complete, well-formed head.</summary>
    Done,

    /// <summary>The head is larger than the configured limit (answer 431).</summary>
    TooLarge,

    /// <summary>Not a valid HTTP/1.1 request head (answer 400).</summary>
    Malformed,
}
