using System.Globalization;
using Onnx;

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
        // Padded positions hold values that mean nothing in the graph (the library's encoder zeroes them): mask them out.
        var mask = g.Unsqueeze(g.Cast(encoder.Inputs.AttentionMask, TensorProto.Types.DataType.Float), 2);   // [batch, sequence, 1]
        var sum = g.ReduceSum(g.Mul(encoder.SequenceOutput, mask), axis: 1, keepDims: false);             // [batch, hidden]
        var tokens = g.Max(g.ReduceSum(mask, axis: 1, keepDims: false), g.Scalar(1e-9f));                  // [batch, 1]
        var mean = g.Div(sum, tokens);
        var norm = g.Max(g.Sqrt(g.ReduceSum(g.Mul(mean, mean), axis: 1, keepDims: true)), g.Scalar(1e-12f));
        long h = encoder.Weights.Config.HiddenSize;
        return new[] { new OnnxOutput("sentence_embedding", g.Div(mean, norm), new[] { "batch", h.ToString(CultureInfo.InvariantCulture) }) };
    }
}
