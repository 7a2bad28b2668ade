using System.Text;
using Realtime.Engine.Conversation;

namespace Realtime.Engine.Responses;

public enum ResponseStatus { InProgress, Completed, Cancelled, Incomplete, Failed }

/// <summary>
/// One response in flight. The producer task only reads <see cref="Settings"/> and the token; everything else is
/// state of the session loop.
/// </summary>
public sealed class ResponseRun : IDisposable
{
    public ResponseRun(string id, ResponseSettings settings)
    {
        Id = id;
        Settings = settings;
    }

    public string Id { get; }

    public ResponseSettings Settings { get; }

    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>Where the time to the first output went (backends or the gateway itself).</summary>
    public ResponseTimeline Timeline { get; } = new();

    public ResponseStatus Status { get; set; } = ResponseStatus.InProgress;

    public string? StatusReason { get; set; }

    /// <summary>`status_details.error.type` of a failed response: a backend failure is the server's, a limit the client's.</summary>
    public string ErrorType { get; set; } = "server_error";

    public string? ErrorCode { get; set; }

    public string? ErrorMessage { get; set; }

    /// <summary>The event_id of the response.create that asked for it (null when VAD started it); echoed by its error event.</summary>
    public string? ClientEventId { get; init; }

    public bool Finished { get; set; }

    public List<ConversationItem> Output { get; } = [];

    public ConversationItem? OpenMessage { get; set; }

    public ConversationItem? OpenCall { get; set; }

    public int OpenCallIndex { get; set; } = -1;

    public StringBuilder Text { get; } = new();

    public StringBuilder Arguments { get; } = new();

    public int InputTokens { get; set; }

    /// <summary>Estimated audio tokens of the input context (~10 per second of user audio, §6.4).</summary>
    public int InputAudioTokens { get; set; }

    public int OutputTextTokens { get; set; }

    public int OutputAudioTokens { get; set; }

    public int? ReportedInputTokens { get; set; }

    public int? ReportedOutputTokens { get; set; }

    public string? FinishReason { get; set; }

    public void Dispose() => Cancellation.Dispose();
}
