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
    /// <summary>Runs <paramref name="layers"/> bottom to top; with <paramref name="firstTokenOnly"/> the top one computes the first tokens only.</summary>
    public static Tensor Run<T>(IList<T> layers, Tensor x, TokenLayout layout, bool firstTokenOnly) where T : IEncoderLayer
    {
        if (firstTokenOnly && layers.Count == 0) return layout.FirstTokens(x);
        for (int i = 0; i < layers.Count; i++) x = layers[i].forward(x, layout, firstTokenOnly && i == layers.Count - 1);
        return x;
    }
}
