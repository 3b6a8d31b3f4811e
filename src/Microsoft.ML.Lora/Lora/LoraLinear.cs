using Microsoft.ML.Lora.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// A frozen <c>Linear</c> plus a trainable low-rank update: y = W0·x + b + B(A(dropout(x)))·scale, A [r, in], B [out, r].
/// B starts at zero, so a fresh layer computes exactly what the wrapped Linear did. Parameter names follow PEFT's saved
/// adapters (<c>weight</c>, <c>bias</c>, <c>lora_A.weight</c>, <c>lora_B.weight</c>), so base checkpoints still load into it.
/// </summary>
internal sealed class LoraLinear : nn.Module<Tensor, Tensor>, IHoldsFrozenWeights
{
    private Parameter weight;
    private Parameter? bias;
    private readonly Linear lora_A, lora_B;
    private readonly FastDropout lora_dropout;

    /// <summary>Wraps <paramref name="linear"/> (its parameters are taken over and frozen).</summary>
    public LoraLinear(Linear linear, int rank, double scaling, double dropout, LoraInit init) : base(nameof(LoraLinear))
    {
        weight = linear.weight ?? throw new ArgumentException("Linear has no weight.", nameof(linear));
        bias = linear.bias;
        weight.requires_grad = false;
        if (bias is not null) bias.requires_grad = false;
        long outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        if (rank > Math.Min(outFeatures, inFeatures))
            throw new ArgumentException($"LoRA rank {rank} exceeds min(in, out) = {Math.Min(outFeatures, inFeatures)} of a [{outFeatures}, {inFeatures}] layer.", nameof(rank));
        Rank = rank;
        Scaling = scaling;
        lora_A = nn.Linear(inFeatures, rank, hasBias: false, device: weight.device);
        lora_B = nn.Linear(rank, outFeatures, hasBias: false, device: weight.device);
        lora_dropout = new FastDropout(dropout);
        using (no_grad())
        {
            if (init == LoraInit.Gaussian) lora_A.weight!.normal_(0, 1.0 / rank);
            else nn.init.kaiming_uniform_(lora_A.weight!, a: Math.Sqrt(5));
            lora_B.weight!.zero_();
        }
        RegisterComponents();
    }

    /// <summary>Rank r.</summary>
    public int Rank { get; }

    /// <summary>Factor applied to the update (alpha / r, or alpha / √r for rsLoRA).</summary>
    public double Scaling { get; }

    // W0 + B·A·scale while merged. Kept beside W0 rather than written into it, so the parameters (and anything saved from
    // them) stay the exact base weights and unmerging is exact, at the cost of one extra copy of each adapted matrix.
    private Tensor? mergedWeight;

    /// <summary>True while the update is folded into the weight used for inference (one matmul, as the base layer).</summary>
    public bool Merged => mergedWeight is not null;

    /// <summary>The frozen base weight W0 [out, in] (unchanged by merging).</summary>
    public Parameter Weight => weight;

    /// <summary>The frozen base bias, if any.</summary>
    public Parameter? Bias => bias;

    /// <summary>A [r, in].</summary>
    public Parameter LoraA => lora_A.weight!;

    /// <summary>B [out, r].</summary>
    public Parameter LoraB => lora_B.weight!;

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) Unmerge();
        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    /// <remarks>Computes in the type of <paramref name="x"/>: in mixed precision W0 is stored in bfloat16, and A and B (float32) are cast for the product.</remarks>
    public override Tensor forward(Tensor x)
    {
        if (mergedWeight is not null) return MixedPrecision.Linear(x, mergedWeight, bias);
        var y = MixedPrecision.Linear(x, weight, bias);
        return y.add_(MixedPrecision.Forward(lora_B, MixedPrecision.Forward(lora_A, lora_dropout.forward(x))), Scaling);
    }

    void IHoldsFrozenWeights.StoreFrozenWeights(ScalarType type)
    {
        bool wasMerged = Merged;
        Unmerge();
        if (MixedPrecision.Converted(weight, type) is { } w) weight = Replace("weight", weight, w);
        if (bias is not null && MixedPrecision.Converted(bias, type) is { } b) bias = Replace("bias", bias, b);
        if (wasMerged) Merge();
    }

    private Parameter Replace(string name, Parameter old, Parameter replacement)
    {
        ConditionallyRegisterParameter(name, replacement);   // replaces the registered one of that name
        old.Dispose();
        return replacement;
    }

    /// <summary>The update ΔW = B·A·scale [out, in].</summary>
    public Tensor DeltaWeight() => lora_B.weight!.matmul(lora_A.weight!).mul_(Scaling);

    /// <summary>Folds the update into the weight used for inference: the layer then costs what the base layer costs.</summary>
    public void Merge()
    {
        if (Merged) return;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        // Summed in float32, kept in W0's type (bfloat16 in mixed precision).
        mergedWeight = (weight.detach().to(ScalarType.Float32) + DeltaWeight()).to(weight.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Returns to computing the update separately (needed again for training); exact, W0 was never changed.</summary>
    public void Unmerge()
    {
        mergedWeight?.Dispose();
        mergedWeight = null;
    }

    /// <summary>A plain Linear with weight W0 + B·A·scale (PEFT's merge-and-unload); this layer is left as it is.</summary>
    public Linear ToMergedLinear()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var w = (weight.detach().to(ScalarType.Float32) + DeltaWeight()).to(weight.dtype);
        var linear = nn.Linear(new Parameter(w.MoveToOuterDisposeScope(), requires_grad: false),
            bias is null ? null : new Parameter(bias.detach().clone().MoveToOuterDisposeScope(), requires_grad: false));
        return linear;
    }
}
