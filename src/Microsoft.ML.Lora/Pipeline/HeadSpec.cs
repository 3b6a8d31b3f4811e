using System.Text.Json.Nodes;

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
internal sealed record HeadSpec(int Outputs, PoolerUse Pooler)
{
    public JsonObject ToJson() => new() { ["outputs"] = Outputs, ["pooler"] = Pooler.ToString().ToLowerInvariant() };

    /// <summary>Reads what <see cref="ToJson"/> wrote; <paramref name="source"/> names the file in errors.</summary>
    public static HeadSpec FromJson(JsonNode? json, string source)
    {
        if (json is not JsonObject o) throw new InvalidDataException($"{source}: the head description is missing.");
        int outputs = o["outputs"] is JsonValue v && v.TryGetValue(out int n) && n >= 0 ? n
            : throw new InvalidDataException($"{source}: head 'outputs' is {o["outputs"]?.ToJsonString() ?? "missing"}; expected a count of 0 or more.");
        string pooler = o["pooler"]?.GetValue<string>() ?? "";
        return Enum.TryParse<PoolerUse>(pooler, ignoreCase: true, out var use) && Enum.IsDefined(use)
            ? new HeadSpec(outputs, use)
            : throw new InvalidDataException($"{source}: head 'pooler' is '{pooler}'; expected none, frozen or trained.");
    }
}
