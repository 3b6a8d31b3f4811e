namespace Microsoft.ML.Lora;

/// <summary>
/// What training recomputes in the backward pass instead of keeping from the forward pass (Hugging Face's
/// <c>gradient_checkpointing_enable</c> is <see cref="Layers"/>). Losses and gradients are the same in every mode, dropout
/// masks included; scoring is unaffected.
/// </summary>
public enum GradientCheckpointing
{
    /// <summary>Keep every activation the backward pass needs. The default, and the fastest.</summary>
    None,

    /// <summary>
    /// Recompute each layer's attention block (query/key/value projections, scores, softmax, attention output and its
    /// LayerNorm) and keep the feed-forward's activations ("selective recomputation"): the attention block holds most of a
    /// layer's activations but costs about a third of its compute, so this saves most of the memory for a fraction of the
    /// time of <see cref="Layers"/>.
    /// </summary>
    Attention,

    /// <summary>
    /// Keep only each layer's input and recompute the whole layer: the least activation memory (one layer's at a time),
    /// for about one more forward pass per step.
    /// </summary>
    Layers,
}
