using System.Diagnostics;
using System.Net.WebSockets;

namespace Realtime.Load;

/// <summary>
/// One client WebSocket with its receive loop: every whole message is read into a reused buffer, its few fields
/// parsed, and handed to the owner with the Stopwatch timestamp of its arrival.
/// </summary>
public sealed class SessionSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly ErrorCounts _errors;
    private readonly Action<ServerEvent, long> _onEvent;
    private readonly TaskCompletionSource _created = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[] _buffer;
    private Task _receiving = Task.CompletedTask;
    private volatile bool _closing;

    public SessionSocket(ErrorCounts errors, Action<ServerEvent, long> onEvent, int initialBuffer = 4096)
    {
        _errors = errors;
        _onEvent = onEvent;
        _buffer = new byte[initialBuffer];
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
    }

    /// <summary>Connects with the API key as Bearer and waits for session.created; false (error counted) on failure.</summary>
    public async Task<bool> ConnectAsync(Uri uri, string apiKey, CancellationToken cancellationToken)
    {
        _socket.Options.SetRequestHeader("Authorization", "Bearer " + apiKey);
        try
        {
            await _socket.ConnectAsync(uri, cancellationToken);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or System.Net.Http.HttpRequestException)
        {
            _errors.Add("connect:" + (e.InnerException?.GetType().Name ?? e.GetType().Name));
            return false;
        }

        _receiving = ReceiveLoopAsync();
        Task done = await Task.WhenAny(_created.Task, Task.Delay(TimeSpan.FromSeconds(30), cancellationToken));
        if (done != _created.Task)
        {
            _errors.Add("no_session_created");
            return false;
        }

        return true;
    }

    public bool IsOpen => _socket.State == WebSocketState.Open;

    public async Task<bool> SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            if (!_closing)
            {
                _errors.Add("send:" + e.GetType().Name);
            }

            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The server went away first; nothing left to close.
        }

        await Task.WhenAny(_receiving, Task.Delay(TimeSpan.FromSeconds(5)));
        _socket.Abort();
        _socket.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == _buffer.Length)
                    {
                        Array.Resize(ref _buffer, _buffer.Length * 2);
                    }

                    result = await _socket.ReceiveAsync(_buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                long arrived = Stopwatch.GetTimestamp();
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (!_closing && _socket.CloseStatus != WebSocketCloseStatus.NormalClosure)
                    {
                        _errors.Add("closed:" + (int?)_socket.CloseStatus);
                    }

                    return;
                }

                ServerEvent e = ServerEvent.Read(_buffer.AsSpan(0, length));
                if (e.Type == "session.created")
                {
                    _created.TrySetResult();
                }
                else if (e.Type == "error")
                {
                    _errors.Add("error:" + e.ErrorCode);
                }

                _onEvent(e, arrived);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            if (!_closing)
            {
                _errors.Add("receive:" + e.GetType().Name);
            }
        }
    }
}
