using System.Security;
using System.Text;
using Microsoft.Extensions.Options;
using Realtime.Host.ClientSecrets;
using Realtime.Host.Options;
using Realtime.Wire.Events;
using Realtime.Wire.Http;

namespace Realtime.Host.Telephony;

/// <summary>
/// `POST /v1/telephony/twilio/voice`: the phone number's voice webhook. Answers TwiML that connects the call to
/// this server's media stream, passing model, voice and instructions (from this URL's query) and, when the server
/// has API keys, a short-lived key as stream parameters (Twilio's stream URL carries no query string).
/// </summary>
internal static class TwimlEndpoint
{
    public const string Path = "/v1/telephony/twilio/voice";

    /// <summary>The key only has to last from this answer to the stream's `start`, a second or two later.</summary>
    private static readonly TimeSpan KeyLifetime = TimeSpan.FromMinutes(2);

    private static readonly string[] ForwardedParameters = ["model", "voice", "instructions"];

    public static async Task HandleAsync(HttpContext http)
    {
        TelephonyOptions telephony = http.RequestServices.GetRequiredService<TelephonyOptions>();
        RealtimeServerOptions server = http.RequestServices.GetRequiredService<IOptions<RealtimeServerOptions>>().Value;
        ILogger logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TwimlEndpoint).FullName!);
        string host = telephony.PublicHost ?? http.Request.Host.Value ?? "localhost";
        var form = new List<KeyValuePair<string, string>>();
        if (http.Request.HasFormContentType)
        {
            IFormCollection fields = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
            foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> field in fields)
            {
                foreach (string? value in field.Value)
                {
                    form.Add(new(field.Key, value ?? string.Empty));
                }
            }
        }

        bool signed = false;
        if (telephony.TwilioAuthToken is { } token)
        {
            // Twilio signs the URL it was configured with: behind TLS termination that is the public https URL.
            string url = "https://" + host + http.Request.Path.Value + http.Request.QueryString.Value;
            if (!TwilioSignature.IsValid(token, url, form, http.Request.Headers["X-Twilio-Signature"]))
            {
                logger.LogWarning("TwiML webhook: request refused, X-Twilio-Signature missing or not valid for {Url}", url);
                await PlainAsync(http, 403, "X-Twilio-Signature is missing or does not match this request (Realtime:Telephony:TwilioAuthToken, Realtime:Telephony:PublicHost).").ConfigureAwait(false);
                return;
            }

            signed = true;
        }

        string? key = null;
        if (!new ApiKeySet(server.ApiKeys).IsOpen)
        {
            if (!signed)
            {
                // An unsigned request could be anyone's: it must not be handed a key.
                await PlainAsync(http, 403, "This server has API keys: set Realtime:Telephony:TwilioAuthToken so that calls signed by Twilio get a short-lived key.").ConfigureAwait(false);
                return;
            }

            key = http.RequestServices.GetRequiredService<ClientSecretIssuer>().Mint(null, Dialect.Ga, KeyLifetime).Value;
        }

        var xml = new StringBuilder(512);
        xml.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Connect><Stream url=\"")
            .Append(Escape("wss://" + host + TwilioStreamEndpoint.Path)).Append("\">");
        foreach (string name in ForwardedParameters)
        {
            if (http.Request.Query[name].ToString() is { Length: > 0 } value)
            {
                AppendParameter(xml, name, value);
            }
        }

        if (key is not null)
        {
            AppendParameter(xml, TwilioStreamEndpoint.TokenParameter, key);
        }

        xml.Append("</Stream></Connect></Response>\n");
        string callSid = form.FirstOrDefault(f => f.Key == "CallSid").Value ?? "(none)";
        logger.LogInformation("TwiML webhook: call {CallSid} connected to wss://{Host}{Path}", callSid, host, TwilioStreamEndpoint.Path);
        http.Response.ContentType = "text/xml; charset=utf-8";
        await http.Response.WriteAsync(xml.ToString()).ConfigureAwait(false);
    }

    private static void AppendParameter(StringBuilder xml, string name, string value) =>
        xml.Append("<Parameter name=\"").Append(Escape(name)).Append("\" value=\"").Append(Escape(value)).Append("\"/>");

    private static string Escape(string text) => SecurityElement.Escape(text);

    private static async Task PlainAsync(HttpContext http, int status, string text)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(text + "\n").ConfigureAwait(false);
    }
}
