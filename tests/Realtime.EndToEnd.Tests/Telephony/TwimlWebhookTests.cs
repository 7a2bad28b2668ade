using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace Realtime.EndToEnd.Tests.Telephony;

/// <summary>The voice webhook: signed requests get TwiML that connects the call (with a short-lived key), others 403.</summary>
[Collection(TelephonyCollection.Name)]
public sealed class TwimlWebhookTests(TelephonyServer server)
{
    private const string Query = "?model=default&voice=alloy&instructions=Be%20brief%20%26%20kind.";

    private static readonly Dictionary<string, string> Form = new(StringComparer.Ordinal)
    {
        ["AccountSid"] = "AC00000000000000000000000000000000",
        ["CallSid"] = "CAtwiml000000000000000000000000001",
        ["From"] = "+15005550006",
        ["To"] = "+15005550001",
        ["CallStatus"] = "ringing",
        ["Direction"] = "inbound",
    };

    [Fact]
    public async Task ASignedRequestGetsTwimlThatConnectsTheCallToTheStream()
    {
        using HttpResponseMessage response = await PostAsync(Sign($"https://{TelephonyServer.PublicHost}/v1/telephony/twilio/voice{Query}", TelephonyServer.AuthToken));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType!.MediaType);
        XDocument twiml = XDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        XElement stream = twiml.Root!.Element("Connect")!.Element("Stream")!;
        Assert.Equal("Response", twiml.Root.Name.LocalName);
        Assert.Equal($"wss://{TelephonyServer.PublicHost}/v1/telephony/twilio", stream.Attribute("url")!.Value);
        Dictionary<string, string> parameters = stream.Elements("Parameter").ToDictionary(p => p.Attribute("name")!.Value, p => p.Attribute("value")!.Value);
        Assert.Equal("default", parameters["model"]);
        Assert.Equal("alloy", parameters["voice"]);
        Assert.Equal("Be brief & kind.", parameters["instructions"]);
        Assert.StartsWith("ek_", parameters["token"], StringComparison.Ordinal);

        // Twilio then opens the stream with those parameters: the minted key is accepted.
        const string callSid = "CAtwiml000000000000000000000000001";
        await using FakeTwilio call = await FakeTwilio.CallAsync(server.StreamUri, parameters, callSid, TestContext.Current.CancellationToken);
        await FakeTwilio.WaitUntilAsync(() => server.CallLines(callSid).Any(l => l.Message.Contains($"Call {callSid} started", StringComparison.Ordinal)), "the call to start");
        Assert.Null(call.CloseStatus);
    }

    [Fact]
    public async Task AWrongOrMissingSignatureIsRefused()
    {
        using (HttpResponseMessage wrongToken = await PostAsync(Sign($"https://{TelephonyServer.PublicHost}/v1/telephony/twilio/voice{Query}", "not-the-token")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrongToken.StatusCode);
        }

        // Signed for another URL (e.g. a replay against another path or host).
        using (HttpResponseMessage wrongUrl = await PostAsync(Sign($"https://attacker.example/v1/telephony/twilio/voice{Query}", TelephonyServer.AuthToken)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrongUrl.StatusCode);
        }

        using (HttpResponseMessage unsigned = await PostAsync(null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
            Assert.DoesNotContain("ek_", await unsigned.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
    }

    /// <summary>Twilio's scheme, written out independently of the server's code: HMAC-SHA1(token, url + sorted name+value), base64.</summary>
    private static string Sign(string url, string token)
    {
        var data = new StringBuilder(url);
        foreach (KeyValuePair<string, string> field in Form.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            data.Append(field.Key).Append(field.Value);
        }

#pragma warning disable CA5350 // Twilio's signature is HMAC-SHA1.
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(data.ToString())));
#pragma warning restore CA5350
    }

    private async Task<HttpResponseMessage> PostAsync(string? signature)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Http, "/v1/telephony/twilio/voice" + Query)) { Content = new FormUrlEncodedContent(Form) };
        if (signature is not null)
        {
            request.Headers.Add("X-Twilio-Signature", signature);
        }

        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
