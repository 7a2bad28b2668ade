using System.Net;

namespace Realtime.Engine.Backends.Grpc.Balancing;

/// <summary>
/// Sits under Grpc.Net's balancer, above the sockets: sees each call's HTTP/2 request after the picker chose its
/// replica (the picker leaves the replica's probe in the request's options) and reports a transport failure —
/// refused, reset, or the response stream dying mid-read — to that probe the moment it happens, before the caller
/// sees the error. (Grpc.Net tells the picker's call tracker only when the call is disposed, which lets calls
/// started meanwhile still go to the dead replica.)
/// </summary>
internal sealed class ReplicaFailureHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>Where the picker puts the chosen replica's probe.</summary>
    public static readonly HttpRequestOptionsKey<ReplicaProbe> ProbeKey = new("Realtime.ReplicaProbe");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(ProbeKey, out ReplicaProbe? probe))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
        {
            probe.ReportFailure("request failed: " + e.Message);
            throw;
        }

        response.Content = new ObservedContent(response.Content, probe);
        return response;
    }

    /// <summary>The response body, its headers copied, whose stream reports read failures.</summary>
    private sealed class ObservedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly ReplicaProbe _probe;

        public ObservedContent(HttpContent inner, ReplicaProbe probe)
        {
            _inner = inner;
            _probe = probe;
            foreach (KeyValuePair<string, IEnumerable<string>> header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync() =>
            new ObservedStream(await _inner.ReadAsStreamAsync().ConfigureAwait(false), _probe);

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new ObservedStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), _probe);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _inner.CopyToAsync(stream, context);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Reads through; an IOException (connection reset or aborted) is reported, then rethrown.</summary>
    private sealed class ObservedStream(Stream inner, ReplicaProbe probe) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (!cancellationToken.IsCancellationRequested)
            {
                probe.ReportFailure("response stream broke: " + e.Message);
                throw;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return inner.Read(buffer, offset, count);
            }
            catch (IOException e)
            {
                probe.ReportFailure("response stream broke: " + e.Message);
                throw;
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
