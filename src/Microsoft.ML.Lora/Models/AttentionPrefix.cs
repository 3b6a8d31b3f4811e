using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Extra key/value vectors prepended to every layer's attention (prefix tuning). Implemented by a fine-tuning method; the
/// encoder only asks for them, so the model code stays unaware of how they are produced.
/// </summary>
internal interface IAttentionPrefix
{
    /// <summary>Number of prefix positions added in front of the keys and values.</summary>
    int Length { get; }

    /// <summary>Keys and values of <paramref name="layer"/>, shaped [batch, heads, Length, head_dim].</summary>
    (Tensor Key, Tensor Value) KeysAndValues(int layer, long batchSize);
}

internal static class MultiHeadAttention
{
    /// <summary>
    /// Scaled dot-product attention over already-projected, packed q, k, v [N, H·d] → [N, H·d] (see <see cref="TokenLayout"/>).
    /// With <paramref name="firstTokenQueries"/>, q holds only each sequence's first token [B, H·d] and so does the result.
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, TokenLayout layout, int numHeads, int layer, LayerContext context, double dropout,
        bool firstTokenQueries = false)
    {
        long b = layout.Batch, t = layout.Length, hidden = q.shape[^1], d = hidden / numHeads, tq = firstTokenQueries ? 1 : t;
        Tensor Split(Tensor x) => layout.Unpack(x).view(b, t, numHeads, d).transpose(1, 2);
        Tensor qh = firstTokenQueries ? q.view(b, 1, numHeads, d).transpose(1, 2) : Split(q), kh = Split(k), vh = Split(v);
        Tensor? mask = layout.KeyMask;
        if (context.Prefix is { } prefix)
        {
            var (pk, pv) = prefix.KeysAndValues(layer, b);
            kh = cat(new[] { pk.to(kh.dtype), kh }, 2);   // the prefix trains in float32; attention computes in the layer's type
            vh = cat(new[] { pv.to(vh.dtype), vh }, 2);
            if (mask is not null) mask = cat(new[] { ones(b, prefix.Length, dtype: ScalarType.Bool, device: mask.device), mask }, 1);
        }
        var o = dropout > 0 ? WithDropout(qh, kh, vh, mask?.view(b, 1, 1, -1), dropout)
            : nn.functional.scaled_dot_product_attention(qh, kh, vh, mask?.view(b, 1, 1, -1));
        var merged = o.transpose(1, 2).reshape(b, tq, hidden);
        return firstTokenQueries ? merged.view(b, hidden) : layout.Pack(merged);
    }

    // Training with attention dropout: SDPA would fall back to this computation anyway, with libtorch's slow CPU mask.
    // The [B, heads, T, T] tensors are the largest of a layer: scaling and masking work in place (the product's backward
    // needs q and k, not its result), and only what backward needs outlives the call — the probabilities (softmax), the
    // dropout mask (1 byte per element) and the dropped probabilities (the product with v).
    private static Tensor WithDropout(Tensor q, Tensor k, Tensor v, Tensor? keyMask, double p)
    {
        using var scope = NewDisposeScope();
        var scores = q.matmul(k.transpose(-2, -1)).mul_(1.0 / Math.Sqrt(q.shape[^1]));
        if (keyMask is not null) scores.masked_fill_(keyMask.logical_not(), float.NegativeInfinity);
        var probabilities = scores.softmax(-1);
        scores.Dispose();
        var dropped = DropoutMasks.Apply(probabilities, p);
        probabilities.Dispose();
        return dropped.matmul(v).MoveToOuterDisposeScope();
    }
}
