using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Where the real tokens of a padded batch are. Every layer except attention works token by token, so the encoder runs
/// them on the real tokens only, packed as [N, H] (N = real tokens), and unpacks to [B, T, H] just for attention. With
/// batches padded to their longest sentence this skips the padding's share of the matmuls (often a third or more).
/// </summary>
internal sealed class TokenLayout
{
    private readonly Tensor? index;   // flat positions of real tokens, null when nothing is padded
    private readonly Tensor attentionMask;

    public TokenLayout(Tensor attentionMask)
    {
        this.attentionMask = attentionMask;
        Batch = attentionMask.shape[0];
        Length = attentionMask.shape[1];
        bool padded = attentionMask.min().item<long>() == 0;
        if (padded)
        {
            KeyMask = attentionMask.to(ScalarType.Bool);
            index = attentionMask.reshape(-1).nonzero().squeeze(1);
        }
    }

    public long Batch { get; }
    public long Length { get; }

    /// <summary>[B, T] true for real tokens, or null when nothing is padded (SDPA's fastest path).</summary>
    public Tensor? KeyMask { get; }

    /// <summary>[B, T, H] → [N, H].</summary>
    public Tensor Pack(Tensor full)
    {
        var flat = full.reshape(Batch * Length, full.shape[^1]);
        return index is null ? flat : flat.index_select(0, index);
    }

    /// <summary>True when every sequence's first position is a real token (right padding, as every batch here has).</summary>
    public bool FirstTokensAreReal => index is null || attentionMask[.., 0].min().item<long>() != 0;

    /// <summary>[N, H] → [B, H]: each sequence's first token. Needs <see cref="FirstTokensAreReal"/>.</summary>
    public Tensor FirstTokens(Tensor packed)
    {
        if (index is null) return packed.view(Batch, Length, packed.shape[^1])[.., 0];
        // A sequence's first token sits after all real tokens of the sequences before it.
        var lengths = attentionMask.sum(1);
        return packed.index_select(0, lengths.cumsum(0) - lengths);
    }

    /// <summary>[N, H] → [B, T, H], zeros at padded positions.</summary>
    public Tensor Unpack(Tensor packed)
    {
        long h = packed.shape[^1];
        if (index is null) return packed.reshape(Batch, Length, h);
        return packed.new_zeros(new[] { Batch * Length, h }).index_copy(0, index, packed).reshape(Batch, Length, h);
    }
}
