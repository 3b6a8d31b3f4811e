using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.IO;
using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// <c>head_pooling.json</c> beside a PEFT adapter whose head reads the mean of the tokens. PEFT's <c>adapter_config.json</c>
/// cannot say so (Hugging Face's sequence heads always read the first token), and an unknown key there breaks some PEFT
/// versions; PEFT ignores other files in the folder. No file: the first token, as for any adapter trained in Python.
/// </summary>
internal static class HeadPoolingFile
{
    public const string FileName = "head_pooling.json";

    /// <summary>Writes the file for a mean-pooled head, and removes a stale one (a folder reused for a first-token head).</summary>
    public static void Write(string folder, TokenPooling pooling)
    {
        string path = Path.Combine(folder, FileName);
        if (pooling == TokenPooling.FirstToken)
        {
            File.Delete(path);
            return;
        }
        AtomicFile.WriteAllText(path, new JsonObject
        {
            ["pooling"] = HeadSpec.MeanName,
            ["description"] = "The head reads the mean of the encoder's last_hidden_state over the attention mask, not the first token: "
                + "score = classifier(sum(last_hidden_state * mask, 1) / sum(mask, 1)); BERT's pooler is not used.",
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The pooling of the adapter in <paramref name="folder"/>: what the file says, or the first token without one.</summary>
    public static TokenPooling Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return TokenPooling.FirstToken;
        JsonNode? json;
        try { json = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e); }
        if (json is not JsonObject o) throw new InvalidDataException($"{path}: expected a JSON object with 'pooling'.");
        return HeadSpec.ReadPooling(o["pooling"], $"{path}: 'pooling'");
    }
}
