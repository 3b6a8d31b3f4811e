using System.Globalization;
using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Onnx.Heads;

/// <summary>
/// <see cref="SequenceClassificationModel"/>'s head on the first token, per architecture as Hugging Face has it: BERT
/// tanh(<c>pooler.dense</c>) → <c>classifier</c>; RoBERTa <c>classifier.dense</c> → tanh → <c>classifier.out_proj</c>;
/// DistilBERT <c>pre_classifier</c> → ReLU → <c>classifier</c>; or the same head on the mean of the tokens (BERT's then
/// without the pooler), as the model was built. Output <c>logits</c> [batch, labels]. A one-output head is a regression or
/// similarity score.
/// </summary>
internal sealed class SequenceClassificationOnnxHead : IOnnxHead
{
    private static readonly SequenceClassificationOnnxHead FirstToken = new(TokenPooling.FirstToken), Mean = new(TokenPooling.Mean);
    private readonly TokenPooling pooling;

    private SequenceClassificationOnnxHead(TokenPooling pooling) => this.pooling = pooling;

    /// <summary>The head that reads what <paramref name="pooling"/> says, as <see cref="SequenceClassificationModel"/> with it.</summary>
    public static SequenceClassificationOnnxHead For(TokenPooling pooling) => pooling == TokenPooling.Mean ? Mean : FirstToken;

    public string HuggingFaceClassSuffix => "ForSequenceClassification";

    public IReadOnlyList<OnnxOutput> Emit(EncoderExport encoder, int numLabels)
    {
        var (g, c) = (encoder.Graph, encoder.Weights.Config);
        long h = c.HiddenSize;
        var first = pooling == TokenPooling.Mean ? encoder.TokenMean : encoder.FirstToken;
        string logits = c.Architecture switch
        {
            EncoderArchitecture.Bert when pooling == TokenPooling.Mean => encoder.Linear("classifier", first, h, numLabels),
            EncoderArchitecture.Bert => encoder.Linear("classifier", g.Tanh(encoder.Linear($"{c.Names.Root}.pooler.dense", first, h, h)), h, numLabels),
            EncoderArchitecture.Roberta => encoder.Linear("classifier.out_proj", g.Tanh(encoder.Linear("classifier.dense", first, h, h)), h, numLabels),
            _ => encoder.Linear("classifier", g.Relu(encoder.Linear("pre_classifier", first, h, h)), h, numLabels),
        };
        return new[] { new OnnxOutput("logits", logits, new[] { "batch", numLabels.ToString(CultureInfo.InvariantCulture) }) };
    }
}
