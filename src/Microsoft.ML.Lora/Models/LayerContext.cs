using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// What every layer of an encoder needs besides its input, shared by all of them: the optional attention prefix, the
/// type its matrix products compute in, and whether training recomputes layer activations in the backward pass.
/// </summary>
internal sealed class LayerContext
{
    /// <summary>Set by prefix tuning; null otherwise.</summary>
    public IAttentionPrefix? Prefix { get; set; }

    /// <summary>Type of the matrix products (float32, or bfloat16 in mixed precision); the residual stream stays float32.</summary>
    public ScalarType ComputeType { get; set; } = ScalarType.Float32;

    /// <summary>What training recomputes in the backward pass (see <see cref="GradientCheckpoint.Block"/>).</summary>
    public GradientCheckpointing GradientCheckpointing { get; set; }

    /// <summary><paramref name="x"/> in <see cref="ComputeType"/>, for a matrix product (no copy when it is already).</summary>
    public Tensor ForProduct(Tensor x) => x.dtype == ComputeType ? x : x.to(ComputeType);
}
