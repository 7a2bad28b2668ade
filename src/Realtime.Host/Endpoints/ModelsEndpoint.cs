using Realtime.Host.Engines;

namespace Realtime.Host.Endpoints;

/// <summary>
/// `GET /v1/models`: the profiles a client can name in `?model=`, in OpenAI's list shape (`object:"list"`, one
/// `object:"model"` per profile) plus `aliases` and `default`. Needs a real key when keys are configured, as OpenAI's
/// does, so the browser console also uses it to learn whether it must ask for one.
/// </summary>
internal static class ModelsEndpoint
{
    public static async Task HandleAsync(HttpContext context)
    {
        if (!await JsonResponses.AuthorizeAsync(context))
        {
            return;
        }

        IReadOnlyList<ProfileListing> profiles = context.RequestServices.GetRequiredService<ProfileEngineResolver>().Listings;
        await JsonResponses.WriteAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            foreach (ProfileListing profile in profiles)
            {
                writer.WriteStartObject();
                writer.WriteString("id", profile.Name);
                writer.WriteString("object", "model");
                writer.WriteNumber("created", 0);
                writer.WriteString("owned_by", "realtime-fast");
                writer.WriteStartArray("aliases");
                foreach (string alias in profile.Aliases)
                {
                    writer.WriteStringValue(alias);
                }

                writer.WriteEndArray();
                writer.WriteBoolean("default", profile.IsDefault);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }
}
