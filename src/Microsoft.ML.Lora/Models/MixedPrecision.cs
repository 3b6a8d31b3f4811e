using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>A module that keeps frozen weights of its own (a wrapper around a Linear), which mixed precision stores in the compute type.</summary>
internal interface IHoldsFrozenWeights
{
    /// <summary>Stores the frozen weights in <paramref name="type"/>; trainable ones stay float32.</summary>
    void StoreFrozenWeights(ScalarType type);
}

/// <summary>
/// Mixed precision with PyTorch autocast's per-op policy: linear layers and attention products run in the compute type
/// (bfloat16), LayerNorm, residual sums, the head and the loss in float32. Unlike autocast, which casts every weight in
/// every forward pass, the frozen weights of the encoder are stored in the compute type once (half the memory, no casts);
/// trainable weights keep their float32 masters and are cast for the product, so their gradients and the optimizer state
/// stay float32.
/// </summary>
internal static class MixedPrecision
{
    /// <summary>The type matrix products compute in.</summary>
    public static ScalarType ComputeType(Precision precision) => precision switch
    {
        Precision.Float32 => ScalarType.Float32,
        Precision.BFloat16 => ScalarType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision."),
    };

    /// <summary>
    /// <c>x·Wᵀ + b</c> in the type of <paramref name="x"/>. A weight stored in another type (the float32 master of a trainable
    /// weight) is cast for the product, as autocast does; its gradient returns through the cast in float32.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        if (weight.dtype == x.dtype && (bias is null || bias.dtype == x.dtype)) return nn.functional.linear(x, weight, bias);
        using var scope = NewDisposeScope();
        return nn.functional.linear(x, Cast(weight, x.dtype), bias is null ? null : Cast(bias, x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>Runs <paramref name="module"/> on <paramref name="x"/>, a plain Linear through <see cref="Linear(Tensor, Tensor, Tensor?)"/>.</summary>
    public static Tensor Forward(nn.Module<Tensor, Tensor> module, Tensor x) => module is Linear l ? Linear(x, l.weight, l.bias) : module.forward(x);

    /// <summary>
    /// Stores every frozen weight of <paramref name="encoder"/>'s embeddings and layers in <paramref name="type"/>; LayerNorms
    /// (they compute in float32), the pooler (part of the head's float32 computation) and trainable weights are left alone.
    /// Converting back to float32 is exact but does not restore precision a bfloat16 copy lost.
    /// </summary>
    public static void StoreFrozenWeights(EncoderModel encoder, ScalarType type)
    {
        using var _ = no_grad();
        foreach (var (name, module) in encoder.named_modules())
        {
            if (name == "pooler" || name.StartsWith("pooler.", StringComparison.Ordinal)) continue;
            switch (module)
            {
                case Linear l:
                    if (Converted(l.weight, type) is { } w) l.weight = w;   // the setter disposes the old weight
                    if (l.bias is { } b && Converted(b, type) is { } nb) l.bias = nb;
                    break;
                case EmbeddingTable e when Converted(e.weight, type) is { } ew:
                    var old = e.weight;
                    e.weight = ew;
                    old.Dispose();
                    break;
                case IHoldsFrozenWeights holder:
                    holder.StoreFrozenWeights(type);
                    break;
            }
        }
    }

    /// <summary>A frozen copy of <paramref name="p"/> in <paramref name="type"/>, or null when it trains or has that type already.</summary>
    public static Parameter? Converted(Parameter p, ScalarType type)
    {
        if (p.requires_grad || p.dtype == type) return null;
        using var scope = NewDisposeScope();
        return (Parameter)new Parameter(p.detach().to(type), requires_grad: false).DetachFromDisposeScope();
    }

    private static Tensor Cast(Tensor t, ScalarType type) => t.dtype == type ? t : t.to(type);
}
