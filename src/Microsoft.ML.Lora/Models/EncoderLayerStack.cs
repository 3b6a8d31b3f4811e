using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>A transformer layer working on packed tokens (see <see cref="TokenLayout"/>).</summary>
internal interface IEncoderLayer
{
    /// <summary>[N, H] → [N, H]; with <paramref name="firstTokenOnly"/> → [B, H], each sequence's first token.</summary>
    Tensor forward(Tensor x, TokenLayout layout, bool firstTokenOnly);
}

internal static class EncoderLayerStack
{
    /// <summary>
    /// Runs <paramref name="layers"/> bottom to top; with <paramref name="firstTokenOnly"/> the top one computes the first
    /// tokens only. Each layer runs in a dispose scope of its own: what the backward pass needs is held by the graph, and
    /// every other intermediate is freed as soon as its layer is done rather than at the end of the step.
    /// </summary>
    public static Tensor Run<T>(IList<T> layers, Tensor x, TokenLayout layout, bool firstTokenOnly, LayerContext context)
        where T : nn.Module, IEncoderLayer
    {
        if (firstTokenOnly && layers.Count == 0) return layout.FirstTokens(x);
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            bool top = firstTokenOnly && i == layers.Count - 1;
            var y = GradientCheckpoint.Block(GradientCheckpointing.Layers, context, h => layer.forward(h, layout, top), x, layer);
            if (i > 0) x.Dispose();   // the previous layer's output (the caller owns the first input)
            x = y;
        }
        return x;
    }
}
