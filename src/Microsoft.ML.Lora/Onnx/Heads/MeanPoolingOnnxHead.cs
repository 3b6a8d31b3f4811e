using System.Globalization;

namespace Microsoft.ML.Lora.Onnx.Heads;

/// <summary>
/// A headless encoder read as a sentence embedding, as sentence-transformers pools it: the mean of the last hidden states over
/// the real tokens (count clamped at 1e-9), L2-normalised (norm clamped at 1e-12). Output <c>sentence_embedding</c> [batch, hidden].
/// </summary>
internal sealed class MeanPoolingOnnxHead : IOnnxHead
{
    public static MeanPoolingOnnxHead Instance { get; } = new();

    public string HuggingFaceClassSuffix => "Model";

    public IReadOnlyList<OnnxOutput> Emit(EncoderExport encoder, int numLabels)
    {
        var g = encoder.Graph;
        var mean = encoder.TokenMean;   // [batch, hidden]
        var norm = g.Max(g.Sqrt(g.ReduceSum(g.Mul(mean, mean), axis: 1, keepDims: true)), g.Scalar(1e-12f));
        long h = encoder.Weights.Config.HiddenSize;
        return new[] { new OnnxOutput("sentence_embedding", g.Div(mean, norm), new[] { "batch", h.ToString(CultureInfo.InvariantCulture) }) };
    }
}
