using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// A block of a layer (its attention) in a dispose scope of its own: the block's intermediates are freed when it ends,
/// not when the layer does. With a graph this changes nothing (the graph holds what backward needs); without one —
/// scoring, frozen layers, head-only training, a checkpointed forward — the layer's peak is its largest block instead of
/// the sum of its blocks.
/// </summary>
internal static class BlockScope
{
    public static Tensor Run(Func<Tensor> block)
    {
        using var scope = NewDisposeScope();
        return block().MoveToOuterDisposeScope();
    }
}
