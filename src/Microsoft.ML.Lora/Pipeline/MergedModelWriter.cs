using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.IO;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// Writes a fine-tuned model as the Hugging Face folder of its task model (PEFT's <c>merge_and_unload</c> followed by
/// <c>save_pretrained</c>): the method's merged weights under the Hugging Face names of the task's architecture, the config
/// with that architecture and <c>id2label</c>, and the tokenizer. Nothing of the model changes.
/// </summary>
internal static class MergedModelWriter
{
    /// <summary>The weights file of the folder.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <exception cref="InvalidOperationException">The method cannot be merged into the plain architecture.</exception>
    public static void Write(string folder, FineTunedModel model, PeftTaskType taskType, IReadOnlyList<string>? outputNames)
    {
        var config = model.Model.Encoder.Config;
        string architecture = taskType.Architecture(config);
        using var scope = NewDisposeScope();
        var merged = model.Method.MergedTensors(model.Model)
            ?? throw new InvalidOperationException($"{model.Method.Name} adds modules that {architecture} does not have, so it cannot be saved as a Hugging Face model; save the .zip, or fine-tune with LoRA or a freezing method.");
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in merged)
            tensors[model.Model.HuggingFaceName(name)] = t.detach().to(ScalarType.Float32).cpu().contiguous();
        Directory.CreateDirectory(folder);
        HuggingFaceFolderWriter.WriteSafetensors(Path.Combine(folder, WeightsFileName), tensors);
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson(architecture, outputNames));
        // The tokenizer gives token_type_ids only to a model with more than one token type (BERT; not RoBERTa or DistilBERT).
        var inputs = config.TypeVocabSize > 1 ? new[] { "input_ids", "attention_mask", "token_type_ids" } : new[] { "input_ids", "attention_mask" };
        HuggingFaceTokenizerWriter.Write(folder, model.Tokenizer, model.MaxSequenceLength, inputs);
    }
}
