using Realtime.Host.Telephony;
using Twilio.Security;

namespace Realtime.Host.Tests.Telephony;

/// <summary>Our X-Twilio-Signature against Twilio's own validator (the reference implementation).</summary>
public sealed class TwilioSignatureTests
{
    private const string Token = "12345-test-auth-token";
    private const string Url = "https://voice.example.com/v1/telephony/twilio/voice?model=phone&voice=alloy";

    private static readonly Dictionary<string, string> Form = new(StringComparer.Ordinal)
    {
        ["CallSid"] = "CA1234567890ABCDE",
        ["Caller"] = "+12349013030",
        ["Digits"] = "1234",
        ["From"] = "+12349013030",
        ["To"] = "+18005551212",
        ["AccountSid"] = "AC0000",
    };

    [Fact]
    public void TwilioAcceptsTheSignatureWeCompute()
    {
        string signature = TwilioSignature.Compute(Token, Url, Form);
        Assert.True(new RequestValidator(Token).Validate(Url, Form, signature));
        Assert.True(TwilioSignature.IsValid(Token, Url, Form, signature));
    }

    [Fact]
    public void AChangedParameterUrlOrTokenIsRejected()
    {
        string signature = TwilioSignature.Compute(Token, Url, Form);
        var changed = new Dictionary<string, string>(Form) { ["To"] = "+18005550000" };
        Assert.False(TwilioSignature.IsValid(Token, Url, changed, signature));
        Assert.False(new RequestValidator(Token).Validate(Url, changed, signature));
        Assert.False(TwilioSignature.IsValid(Token, Url.Replace("phone", "other", StringComparison.Ordinal), Form, signature));
        Assert.False(TwilioSignature.IsValid("another-token", Url, Form, signature));
        Assert.False(TwilioSignature.IsValid(Token, Url, Form, null));
        Assert.False(TwilioSignature.IsValid(Token, Url, Form, ""));
    }
}
