namespace Microsoft.ML.Lora;

/// <summary>
/// The number format of training and scoring. Whatever the choice, the trained parameters, their gradients and the
/// optimizer state stay float32, and a saved model loads and scores in either precision.
/// </summary>
public enum Precision
{
    /// <summary>Everything in float32. The default.</summary>
    Float32,

    /// <summary>
    /// Mixed bfloat16, as PyTorch's autocast computes it: matrix products (linear layers, attention) in bfloat16, with the
    /// frozen base weights also stored in bfloat16 (half the memory, no cast per step); LayerNorm, the residual sums, the
    /// task head and the loss in float32. On CPUs with AVX-512 BF16 or AMX and on recent GPUs the products run two to
    /// three times faster; where the hardware lacks bfloat16 they may run slower than float32.
    /// </summary>
    BFloat16,
}
