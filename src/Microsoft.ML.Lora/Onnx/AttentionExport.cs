using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// Multi-head scaled dot-product attention over projected queries, keys and values [batch, T, hidden]: heads split out,
/// softmax(q·kᵀ/√d + mask bias)·v, heads merged back. Padding is masked by an additive bias (0 for tokens, the float minimum
/// for padding, as Hugging Face's BERT does). A prefix-tuned model's per-layer prefix keys and values are constants
/// concatenated in front of the keys and values, visible to every token.
/// </summary>
internal static class AttentionExport
{
    /// <summary>The attention context [batch, Tq, hidden] of queries <paramref name="q"/> over keys/values <paramref name="k"/>/<paramref name="v"/>.</summary>
    public static string Emit(EncoderGraph e, int layer, string q, string k, string v)
    {
        var g = e.Graph;
        var c = e.Weights.Config;
        long heads = c.NumHeads, d = c.HiddenSize / c.NumHeads;
        var qh = g.Transpose(g.Reshape(q, 0, 0, heads, d), 0, 2, 1, 3);    // [B, heads, Tq, d]
        var kt = g.Transpose(g.Reshape(k, 0, 0, heads, d), 0, 2, 3, 1);    // [B, heads, d, T]
        var vh = g.Transpose(g.Reshape(v, 0, 0, heads, d), 0, 2, 1, 3);    // [B, heads, T, d]
        if (e.Weights.Model.Encoder.Prefix is { } prefix)
        {
            var (pkt, pv) = PrefixConstants(e, layer, prefix);
            kt = g.Concat(3, e.PerBatch(pkt, heads, d, prefix.Length), kt);
            vh = g.Concat(2, e.PerBatch(pv, heads, prefix.Length, d), vh);
        }
        var scores = g.Add(g.Mul(g.MatMul(qh, kt), g.Scalar(1f / MathF.Sqrt(d))), e.MaskBias);
        var context = g.MatMul(g.Softmax(scores), vh);                    // [B, heads, Tq, d]
        return g.Reshape(g.Transpose(context, 0, 2, 1, 3), 0, 0, c.HiddenSize);
    }

    /// <summary>Layer <paramref name="layer"/>'s prefix keys, transposed [1, heads, d, P], and values [1, heads, P, d] as initializers.</summary>
    private static (string KeysTransposed, string Values) PrefixConstants(EncoderGraph e, int layer, Models.IAttentionPrefix prefix)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (k, v) = prefix.KeysAndValues(layer, 1);
        var c = e.Weights.Config;
        var shape = new long[] { 1, c.NumHeads, prefix.Length, c.HiddenSize / c.NumHeads };
        ModelWeights.CheckShape($"prefix keys of layer {layer}", k, shape);
        ModelWeights.CheckShape($"prefix values of layer {layer}", v, shape);
        string name = $"prefix_encoder.layer.{layer}";
        return (e.Graph.Initializer($"{name}.keys_t", OnnxTensors.Values(k.transpose(2, 3)), new[] { 1, shape[1], shape[3], shape[2] },
                "prefix tuning: keys of the virtual positions, transposed to [1, heads, head_dim, length]"),
            e.Graph.Initializer($"{name}.values", OnnxTensors.Values(v), shape, "prefix tuning: values of the virtual positions"));
    }
}
