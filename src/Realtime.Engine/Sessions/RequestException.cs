using Realtime.Wire.Events;

namespace Realtime.Engine.Sessions;

/// <summary>
/// A client event that cannot be applied. Validation of the cold, nested events (session.update, item create,
/// response.create) throws it from deep inside so that nothing is applied until the whole event checked out.
/// </summary>
public sealed class RequestException : Exception
{
    public RequestException(ClientEventError error)
        : base(error.Message) => Error = error;

    public RequestException()
        : this(new ClientEventError("invalid_value", "Invalid request.", null))
    {
    }

    public RequestException(string message)
        : this(new ClientEventError("invalid_value", message, null))
    {
    }

    public RequestException(string message, Exception innerException)
        : base(message, innerException) => Error = new ClientEventError("invalid_value", message, null);

    public ClientEventError Error { get; }
}
