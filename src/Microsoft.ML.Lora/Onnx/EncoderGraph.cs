using static Onnx.TensorProto.Types;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// What every block of an encoder export shares: the graph, the model's weights, the graph inputs, and values computed once
/// for all layers (the batch size, the attention mask as an additive bias).
/// </summary>
internal sealed class EncoderGraph
{
    private string? batchSize, maskBias;

    public EncoderGraph(OnnxGraphBuilder graph, ModelWeights weights, EncoderInputs inputs)
    {
        Graph = graph;
        Weights = weights;
        Inputs = inputs;
    }

    public OnnxGraphBuilder Graph { get; }
    public ModelWeights Weights { get; }
    public EncoderInputs Inputs { get; }

    /// <summary>The batch size as a 1-D int64 tensor [1].</summary>
    public string BatchSize => batchSize ??= Graph.Shape(Inputs.InputIds, 0, 1);

    /// <summary>
    /// [batch, 1, 1, keys]: 0 where a key is a token, the float minimum where it is padding, added to the attention scores.
    /// A prefix-tuned model's virtual positions come first and are never masked.
    /// </summary>
    public string MaskBias => maskBias ??= BuildMaskBias();

    /// <summary>A constant [1, d1, d2, d3] repeated over the batch: [batch, d1, d2, d3].</summary>
    public string PerBatch(string constant, long d1, long d2, long d3)
        => Graph.Expand(constant, Graph.Concat(0, BatchSize, Graph.Int64s(d1, d2, d3)));

    private string BuildMaskBias()
    {
        var g = Graph;
        using var _ = g.Scope("attention_mask");
        var padding = g.Sub(g.Scalar(1f), g.Cast(Inputs.AttentionMask, DataType.Float));
        var bias = g.Unsqueeze(g.Mul(padding, g.Scalar(float.MinValue)), 1, 2);
        if (Weights.Model.Encoder.Prefix is { } prefix)
        {
            var zeros = g.Initializer("prefix_encoder.mask_bias", new float[prefix.Length], new long[] { 1, 1, 1, prefix.Length });
            bias = g.Concat(3, PerBatch(zeros, 1, 1, prefix.Length), bias);
        }
        return bias;
    }
}
