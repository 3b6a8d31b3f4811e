using System.Globalization;
using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Onnx.Heads;

/// <summary><see cref="TokenClassificationModel"/>'s head: <c>classifier</c> on every token. Output <c>logits</c> [batch, sequence, labels].</summary>
internal sealed class TokenClassificationOnnxHead : IOnnxHead
{
    public static TokenClassificationOnnxHead Instance { get; } = new();

    public string HuggingFaceClassSuffix => "ForTokenClassification";

    public IReadOnlyList<OnnxOutput> Emit(EncoderExport encoder, int numLabels)
    {
        long h = encoder.Weights.Config.HiddenSize;
        var logits = encoder.Linear("classifier", encoder.SequenceOutput, h, numLabels);
        return new[] { new OnnxOutput("logits", logits, new[] { "batch", "sequence", numLabels.ToString(CultureInfo.InvariantCulture) }) };
    }
}
