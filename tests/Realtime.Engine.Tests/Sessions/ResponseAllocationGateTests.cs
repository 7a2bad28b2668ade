using System.Buffers;
using System.Text;
using Realtime.Engine.Backends.Builtin;
using Realtime.Engine.Sessions;
using Realtime.Wire.Connections;
using Realtime.Wire.Events;

namespace Realtime.Engine.Tests.Sessions;

/// <summary>
/// Allocation gate for a whole text response from an instant LLM (the built-in echo): everything the session does
/// from `response.create` to `response.done` on every thread, measured process-wide, in bytes per response.
/// </summary>
[Collection(ResponseAllocationGateTests.Name)]
public sealed class ResponseAllocationGateTests
{
    public const string Name = "process-wide allocation measurement";

    /// <summary>
    /// The response's own objects (run, items, content parts, ids, the parsed input, the chat request, the echo's
    /// three words): 4.7 KB measured when this gate was set (6.6 KB before the echo counted tokens without making
    /// word strings). A regression (a string per event, a task per delta) shows as hundreds of bytes more.
    /// </summary>
    private const long MaxBytesPerResponse = 5 * 1024;

    private static readonly byte[] ResponseCreate = Encoding.UTF8.GetBytes(
        """{"type":"response.create","response":{"conversation":"none","output_modalities":["text"],"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}]}}""");

    [Fact]
    public async Task TextResponseFromAnInstantModelAllocatesASmallFixedAmount()
    {
        var output = new CountingOutput();
        var factory = new RealtimeSessionFactory(new FixedResolver(new SessionEngines(null, null, new EchoChatModel(), null, "default")));
        IWebSocketSession session = factory.Create(new RealtimeConnectionInfo(Dialect.Ga, "gpt-realtime", false), output);
        session.OnOpen();
        var message = new ReadOnlySequence<byte>(ResponseCreate);

        // One response in flight at a time, as a client waiting for response.done sends them.
        void Respond()
        {
            long done = output.ResponsesDone;
            session.OnText(message);
            var spin = default(SpinWait);
            while (output.ResponsesDone == done)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        for (int i = 0; i < 300; i++)
        {
            Respond();
        }

        const int Responses = 500;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < Responses; i++)
        {
            Respond();
        }

        long perResponse = (GC.GetTotalAllocatedBytes(precise: true) - before) / Responses;
        session.OnClosed(new CloseReason(1000, null, InitiatedByPeer: true));
        await session.DisposeAsync();
        Assert.Equal(0, output.Errors);
        Assert.True(perResponse <= MaxBytesPerResponse, $"a text response allocated {perResponse} B (gate {MaxBytesPerResponse} B)");
        TestContext.Current.SendDiagnosticMessage($"text response from builtin:echo: {perResponse} B allocated per response");
    }

    /// <summary>Counts `response.done` and `error` events without parsing (the payload starts with its type).</summary>
    private sealed class CountingOutput : IMessageOutput
    {
        private long _done;
        private int _errors;

        public long ResponsesDone => Volatile.Read(ref _done);

        public int Errors => Volatile.Read(ref _errors);

        public long PendingBytes => 0;

        public bool SendText(ReadOnlySpan<byte> utf8Payload)
        {
            if (utf8Payload.StartsWith("{\"type\":\"response.done\""u8))
            {
                Interlocked.Increment(ref _done);
            }
            else if (utf8Payload.StartsWith("{\"type\":\"error\""u8))
            {
                Interlocked.Increment(ref _errors);
            }

            return true;
        }

        public void Close(ushort closeStatus, string reason)
        {
        }
    }
}

[CollectionDefinition(ResponseAllocationGateTests.Name, DisableParallelization = true)]
public sealed class ResponseAllocationGateCollection;
