using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>Whether a task's head reads BERT's pooler (dense + tanh on the first token) and whether the pooler trains with it.</summary>
internal enum PoolerUse
{
    /// <summary>No pooler is built (token tasks, mean pooling, architectures without one).</summary>
    None,
    /// <summary>The checkpoint's pooler is used as it is (PEFT's behaviour).</summary>
    Frozen,
    /// <summary>The pooler trains with the head and is saved with it (also when the checkpoint lacks one).</summary>
    Trained,
}

/// <summary>
/// The persisted description of a task's head: what <see cref="FineTuningTask.CreateHead"/> needs to rebuild it before its
/// weights are loaded. A task decides it at Fit; the .zip stores it; PEFT import reads it from the adapter.
/// </summary>
/// <param name="Outputs">Values the head produces per row or per token (classes, tags, 1 for a score, 2 for answer spans); 0 = no head.</param>
/// <param name="Pooler">Whether the encoder is built with BERT's pooler, and whether it trains.</param>
/// <param name="Pooling">What a sequence head reads: the first token (every head before mean pooling existed) or the mean of the tokens.</param>
internal sealed record HeadSpec(int Outputs, PoolerUse Pooler, TokenPooling Pooling = TokenPooling.FirstToken)
{
    /// <summary>A head on the mean of the tokens: it reads no pooler.</summary>
    public static HeadSpec MeanPooled(int outputs) => new(outputs, PoolerUse.None, TokenPooling.Mean);

    /// <summary>
    /// The head as JSON; <c>pooling</c> is written only for mean pooling, so a first-token head's description (and a run's
    /// resume fingerprint) is what it was before mean pooling existed.
    /// </summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["outputs"] = Outputs, ["pooler"] = Pooler.ToString().ToLowerInvariant() };
        if (Pooling == TokenPooling.Mean) json["pooling"] = MeanName;
        return json;
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote (no <c>pooling</c>: the first token); <paramref name="source"/> names the file in errors.</summary>
    public static HeadSpec FromJson(JsonNode? json, string source)
    {
        if (json is not JsonObject o) throw new InvalidDataException($"{source}: the head description is missing.");
        int outputs = o["outputs"] is JsonValue v && v.TryGetValue(out int n) && n >= 0 ? n
            : throw new InvalidDataException($"{source}: head 'outputs' is {o["outputs"]?.ToJsonString() ?? "missing"}; expected a count of 0 or more.");
        string pooler = o["pooler"]?.GetValue<string>() ?? "";
        if (!Enum.TryParse<PoolerUse>(pooler, ignoreCase: true, out var use) || !Enum.IsDefined(use))
            throw new InvalidDataException($"{source}: head 'pooler' is '{pooler}'; expected none, frozen or trained.");
        var pooling = ReadPooling(o["pooling"], $"{source}: head 'pooling'");
        if (pooling == TokenPooling.Mean && use != PoolerUse.None)
            throw new InvalidDataException($"{source}: head 'pooling' is '{MeanName}' with pooler '{pooler}'; a mean-pooled head reads no pooler (expected none).");
        return new HeadSpec(outputs, use, pooling);
    }

    /// <summary>The name of mean pooling in files: "mean".</summary>
    public const string MeanName = "mean";

    /// <summary>The name of first-token pooling in files: "first-token".</summary>
    public const string FirstTokenName = "first-token";

    /// <summary>Reads a pooling name (absent: the first token); <paramref name="what"/> names the value in errors.</summary>
    public static TokenPooling ReadPooling(JsonNode? value, string what) => value switch
    {
        null => TokenPooling.FirstToken,
        JsonValue v when v.TryGetValue(out string? name) && name == FirstTokenName => TokenPooling.FirstToken,
        JsonValue v when v.TryGetValue(out string? name) && name == MeanName => TokenPooling.Mean,
        _ => throw new InvalidDataException($"{what} is {value.ToJsonString()}; expected \"{FirstTokenName}\" or \"{MeanName}\"."),
    };
}
