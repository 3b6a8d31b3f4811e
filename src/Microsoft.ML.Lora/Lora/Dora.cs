using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// DoRA (Liu et al. 2024) as PEFT computes it (<c>tuners/lora/dora.py</c>, <c>variants.DoraLinearVariant</c>): the adapted weight
/// is m · (W0 + ΔW) / ‖W0 + ΔW‖, with ΔW = scale·B·A, the norm taken per output row and treated as a constant (no gradient,
/// section 4.3 of the paper), and m the trained magnitude vector <c>lora_magnitude_vector</c> [out], initialised to the row
/// norms of W0 (so a fresh layer computes what W0 did). Norms are taken in float32.
/// </summary>
internal static class Dora
{
    /// <summary>‖W0 + ΔW‖ per output row [out], detached (PEFT's <c>get_weight_norm</c>).</summary>
    public static Tensor RowNorm(Tensor weight, Tensor delta)
    {
        using var _ = no_grad();
        return (weight.detach().to(ScalarType.Float32) + delta.detach().to(ScalarType.Float32)).norm(1, keepdim: false, p: 2);
    }

    /// <summary>The initial magnitude: the row norms of W0 + ΔW (ΔW is zero for a fresh layer).</summary>
    public static Parameter InitialMagnitude(Tensor weight, Tensor delta) => new(RowNorm(weight, delta), requires_grad: true);

    /// <summary>
    /// The layer's output: <paramref name="baseOutput"/> (W0·x + b) plus (m/‖·‖ − 1)·W0·x' + (m/‖·‖)·<paramref name="update"/>,
    /// where x' is the LoRA branch's input (dropped out while training) and <paramref name="update"/> = scale·B·A·x'.
    /// </summary>
    /// <param name="baseOutput">W0·x + b.</param>
    /// <param name="baseOfBranchInput">W0·x' without bias: when no dropout applies this is <paramref name="baseOutput"/> − b (PEFT's shortcut).</param>
    /// <param name="magnitude">m [out].</param>
    /// <param name="rowNorm">‖W0 + ΔW‖ [out], from <see cref="RowNorm"/>.</param>
    /// <param name="update">scale·B·A·x'.</param>
    public static Tensor Forward(Tensor baseOutput, Tensor baseOfBranchInput, Tensor magnitude, Tensor rowNorm, Tensor update)
    {
        var factor = (magnitude / rowNorm).to(baseOutput.dtype).view(1, -1);
        return baseOutput + (factor - 1) * baseOfBranchInput + factor * update;
    }

    /// <summary>The merged weight m/‖W0 + ΔW‖ · (W0 + ΔW) [out, in] in float32 (PEFT's DoRA <c>merge</c>; the bias is unchanged).</summary>
    public static Tensor MergedWeight(Tensor weight, Tensor delta, Tensor magnitude)
    {
        using var _ = no_grad();
        var direction = weight.detach().to(ScalarType.Float32) + delta.detach().to(ScalarType.Float32);
        var norm = direction.norm(1, keepdim: true, p: 2);
        return direction.mul_(magnitude.detach().to(ScalarType.Float32).unsqueeze(1) / norm);
    }
}
