using System.Globalization;
using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Onnx.Heads;

/// <summary>
/// <see cref="SequenceClassificationModel"/>'s head on the first token, per architecture as Hugging Face has it: BERT
/// tanh(<c>pooler.dense</c>) → <c>classifier</c>; RoBERTa <c>classifier.dense</c> → tanh → <c>classifier.out_proj</c>;
/// DistilBERT <c>pre_classifier</c> → ReLU → <c>classifier</c>. Output <c>logits</c> [batch, labels]. A one-output head is
/// a regression or similarity score.
/// </summary>
internal sealed class SequenceClassificationOnnxHead : IOnnxHead
{
    public static SequenceClassificationOnnxHead Instance { get; } = new();

    public string HuggingFaceClassSuffix => "ForSequenceClassification";

    public IReadOnlyList<OnnxOutput> Emit(EncoderExport encoder, int numLabels)
    {
        var (g, c) = (encoder.Graph, encoder.Weights.Config);
        long h = c.HiddenSize;
        var first = encoder.FirstToken;
        string logits = c.Architecture switch
        {
            EncoderArchitecture.Bert => encoder.Linear("classifier", g.Tanh(encoder.Linear($"{c.Names.Root}.pooler.dense", first, h, h)), h, numLabels),
            EncoderArchitecture.Roberta => encoder.Linear("classifier.out_proj", g.Tanh(encoder.Linear("classifier.dense", first, h, h)), h, numLabels),
            _ => encoder.Linear("classifier", g.Relu(encoder.Linear("pre_classifier", first, h, h)), h, numLabels),
        };
        return new[] { new OnnxOutput("logits", logits, new[] { "batch", numLabels.ToString(CultureInfo.InvariantCulture) }) };
    }
}
