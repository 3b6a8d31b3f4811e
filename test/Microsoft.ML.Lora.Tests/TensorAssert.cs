using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests;

internal static class TensorAssert
{
    /// <summary>Bit-for-bit equality (same shape, every element identical).</summary>
    public static bool Identical(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    public static float MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();
}
