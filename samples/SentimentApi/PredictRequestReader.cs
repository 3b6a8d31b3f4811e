using System.Text.Json;
using System.Text.Json.Serialization;

namespace SentimentApi;

/// <summary>
/// Reads and checks the body of <c>POST /predict</c>. Whatever is wrong with it — empty, too large, not JSON, the wrong
/// shape, no text — comes back as a message for a 400 answer, never as an exception or a half-scored request.
/// </summary>
public static class PredictRequestReader
{
    /// <summary>The largest body read (1 MiB): a text the model reads is at most a few hundred words, truncated at its maximum length.</summary>
    public const int MaxBodyBytes = 1 << 20;

    /// <summary>The most texts in one request.</summary>
    public const int MaxTexts = 256;

    private const string Expected = """expected {"text": "..."} or {"texts": ["...", ...]}""";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The texts of the request, or the reason it is refused.</summary>
    public static async Task<(IReadOnlyList<string>? Texts, string? Error)> ReadAsync(HttpRequest request)
    {
        if (request.ContentLength > MaxBodyBytes)
            return (null, $"the body has {request.ContentLength:N0} bytes; at most {MaxBodyBytes:N0} are read ({Expected})");
        using var body = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxBodyBytes) return (null, $"the body is larger than {MaxBodyBytes:N0} bytes ({Expected})");
            body.Write(chunk, 0, read);
        }
        if (body.Length == 0) return (null, $"the body is empty; {Expected}");

        PredictRequest? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<PredictRequest>(body.GetBuffer().AsSpan(0, (int)body.Length), Json);
        }
        catch (JsonException e)
        {
            return (null, $"the body is not the expected JSON: {e.Message} ({Expected})");
        }
        return Check(parsed);
    }

    private static (IReadOnlyList<string>? Texts, string? Error) Check(PredictRequest? request)
    {
        if (request is null) return (null, $"the body is JSON null; {Expected}");
        if (request.Text is not null && request.Texts is not null) return (null, "give \"text\" or \"texts\", not both");
        if (request.Text is { } one) return ([one], null);
        if (request.Texts is not { } many) return (null, $"no \"text\" or \"texts\" in the body; {Expected}");
        if (many.Count == 0) return (null, "\"texts\" is empty; give at least one text");
        if (many.Count > MaxTexts) return (null, $"\"texts\" has {many.Count:N0} texts; at most {MaxTexts} per request");
        int missing = Enumerable.Range(0, many.Count).FirstOrDefault(i => many[i] is null, -1);
        if (missing >= 0) return (null, $"texts[{missing}] is null; every text must be a string");
        return (many.Select(t => t!).ToArray(), null);
    }
}
