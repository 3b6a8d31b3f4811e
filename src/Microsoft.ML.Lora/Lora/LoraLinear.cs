using Microsoft.ML.Lora.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// A frozen <c>Linear</c> plus a trainable low-rank update: y = W0·x + b + B(A(dropout(x)))·scale, A [r, in], B [out, r].
/// B starts at zero, so a fresh layer computes exactly what the wrapped Linear did. Parameter names follow PEFT's saved
/// adapters (<c>weight</c>, <c>bias</c>, <c>lora_A.weight</c>, <c>lora_B.weight</c>, with <c>lora_bias</c> <c>lora_B.bias</c>, with
/// DoRA <c>lora_magnitude_vector</c>), so base checkpoints still load into it. DoRA's arithmetic is in <see cref="Dora"/>.
/// </summary>
internal sealed class LoraLinear : nn.Module<Tensor, Tensor>, IHoldsFrozenWeights
{
    private Parameter weight;
    private Parameter? bias;
    private readonly Linear lora_A, lora_B;
    private readonly FastDropout lora_dropout;
    private readonly Parameter? lora_magnitude_vector;   // DoRA's m [out]; null for plain LoRA

    /// <summary>Wraps <paramref name="linear"/> (its parameters are taken over and frozen).</summary>
    /// <param name="linear">The layer to adapt.</param>
    /// <param name="rank">r.</param>
    /// <param name="scaling">The factor applied to B·A.</param>
    /// <param name="dropout">Dropout on the LoRA branch's input while training.</param>
    /// <param name="init">Initialisation of A.</param>
    /// <param name="loraBias">Give B a trained bias (PEFT's <c>lora_bias</c>), initialised to zero.</param>
    /// <param name="useDora">DoRA: add the magnitude vector, initialised to the row norms of W0.</param>
    public LoraLinear(Linear linear, int rank, double scaling, double dropout, LoraInit init, bool loraBias = false, bool useDora = false)
        : base(nameof(LoraLinear))
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
        lora_B = nn.Linear(rank, outFeatures, hasBias: loraBias, device: weight.device);
        lora_dropout = new FastDropout(dropout);
        using (no_grad())
        {
            if (init == LoraInit.Gaussian) ParameterInit.Normal(lora_A.weight!, 0, 1.0 / rank);
            else ParameterInit.KaimingUniform(lora_A.weight!, a: Math.Sqrt(5));
            lora_B.weight!.zero_();
            lora_B.bias?.zero_();
        }
        if (useDora)
        {
            using var zero = zeros_like(weight);
            lora_magnitude_vector = Dora.InitialMagnitude(weight, zero);
        }
        RegisterComponents();
    }

    /// <summary>Rank r.</summary>
    public int Rank { get; }

    /// <summary>Factor applied to the update (alpha / r, or alpha / √r for rsLoRA).</summary>
    public double Scaling { get; }

    // W0 + B·A·scale while merged. Kept beside W0 rather than written into it, so the parameters (and anything saved from
    // them) stay the exact base weights and unmerging is exact, at the cost of one extra copy of each adapted matrix.
    private Tensor? mergedWeight, mergedBias;

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

    /// <summary>B's bias [out] with <c>lora_bias</c>, else null.</summary>
    public Parameter? LoraBBias => lora_B.bias;

    /// <summary>DoRA's magnitude vector m [out], else null.</summary>
    public Parameter? MagnitudeVector => lora_magnitude_vector;

    /// <summary>True for the tensors an adapter adds to a model (A, B, B's bias, DoRA's magnitude), by <c>state_dict()</c> name.</summary>
    public static bool IsAdapterTensor(string name)
        => name.Contains(".lora_A.", StringComparison.Ordinal) || name.Contains(".lora_B.", StringComparison.Ordinal)
            || name.EndsWith(".lora_magnitude_vector", StringComparison.Ordinal);

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
        if (mergedWeight is not null) return MixedPrecision.Linear(x, mergedWeight, mergedBias ?? bias);
        var y = MixedPrecision.Linear(x, weight, bias);
        var branchInput = lora_dropout.forward(x);
        var update = MixedPrecision.Forward(lora_B, MixedPrecision.Forward(lora_A, branchInput));
        if (lora_magnitude_vector is null) return y.add_(update, Scaling);
        // Without dropout W0·x is already in y; with it, DoRA rescales W0 applied to the dropped-out input (as PEFT does).
        var baseOfBranch = ReferenceEquals(branchInput, x) ? (bias is null ? y : y - bias) : MixedPrecision.Linear(branchInput, weight, null);
        Tensor rowNorm;
        using (no_grad())
        using (var delta = DeltaWeight())
            rowNorm = Dora.RowNorm(weight, delta);
        return Dora.Forward(y, baseOfBranch, lora_magnitude_vector, rowNorm, update.mul_(Scaling));
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

    /// <summary>The update ΔW = B·A·scale [out, in] (for DoRA the direction's update; the merged weight is <see cref="MergedWeight"/>).</summary>
    public Tensor DeltaWeight() => lora_B.weight!.matmul(lora_A.weight!).mul_(Scaling);

    /// <summary>The weight of the merged layer: W0 + ΔW, or with DoRA m/‖W0 + ΔW‖ · (W0 + ΔW) (PEFT's merge), in W0's type.</summary>
    public Tensor MergedWeight()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var merged = lora_magnitude_vector is null ? weight.detach() + DeltaWeight() : Dora.MergedWeight(weight, DeltaWeight(), lora_magnitude_vector);
        return merged.to(weight.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The bias of the merged layer when B has one (b + scale·b_B, PEFT's merge), else null (the bias is unchanged).</summary>
    public Tensor? MergedBias()
    {
        if (lora_B.bias is null) return null;
        using var _ = no_grad();
        var loraBias = lora_B.bias.detach() * Scaling;
        if (bias is null) return loraBias;
        using (loraBias) return bias.detach() + loraBias;
    }

    /// <summary>Folds the update into the weight used for inference: the layer then costs what the base layer costs.</summary>
    public void Merge()
    {
        if (Merged) return;
        // Summed in float32, kept in W0's type (bfloat16 in mixed precision).
        mergedWeight = MergedWeight();
        mergedBias = MergedBias();
    }

    /// <summary>Returns to computing the update separately (needed again for training); exact, W0 was never changed.</summary>
    public void Unmerge()
    {
        mergedWeight?.Dispose();
        mergedBias?.Dispose();
        mergedWeight = mergedBias = null;
    }

    /// <summary>A plain Linear with the merged weight and bias (PEFT's merge-and-unload); this layer is left as it is.</summary>
    public Linear ToMergedLinear()
    {
        using var _ = no_grad();
        var b = MergedBias() ?? bias?.detach().clone();
        return nn.Linear(new Parameter(MergedWeight(), requires_grad: false), b is null ? null : new Parameter(b, requires_grad: false));
    }
}
