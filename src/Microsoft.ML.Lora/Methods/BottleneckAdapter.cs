using Microsoft.ML.Lora.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Methods;

/// <summary>
/// A frozen projection <c>Linear</c> followed by a Houlsby bottleneck adapter: z = W·x + b, y = z + up(act(down(z))), with
/// down [m, H] and up [H, m]. Sits where the block's projection was, so its output goes on to the block's dropout, residual
/// and LayerNorm. up starts at zero (weight and bias), so a fresh adapter computes exactly what the wrapped Linear did.
/// The projection's parameters keep their names (<c>weight</c>, <c>bias</c>), so base checkpoints still load into it;
/// the adapter's are <c>adapter_down.*</c> and <c>adapter_up.*</c>.
/// </summary>
internal sealed class BottleneckAdapter : nn.Module<Tensor, Tensor>, IHoldsFrozenWeights
{
    private Parameter weight;
    private Parameter? bias;
    private readonly Linear adapter_down, adapter_up;
    private readonly AdapterActivation activation;

    /// <summary>Wraps <paramref name="linear"/> (its parameters are taken over and frozen) with a bottleneck of <paramref name="bottleneckSize"/>.</summary>
    public BottleneckAdapter(Linear linear, int bottleneckSize, AdapterActivation activation) : base(nameof(BottleneckAdapter))
    {
        if (bottleneckSize < 1) throw new ArgumentOutOfRangeException(nameof(bottleneckSize), bottleneckSize, "The adapter bottleneck needs at least one unit.");
        weight = linear.weight ?? throw new ArgumentException("Linear has no weight.", nameof(linear));
        bias = linear.bias;
        weight.requires_grad = false;
        if (bias is not null) bias.requires_grad = false;
        long features = weight.shape[0];
        this.activation = activation;
        BottleneckSize = bottleneckSize;
        adapter_down = nn.Linear(features, bottleneckSize, device: weight.device);
        adapter_up = nn.Linear(bottleneckSize, features, device: weight.device);
        using (no_grad())
        {
            // The adapters library's "mam_adapter" init (as LoRA's A/B): Kaiming-uniform down, zero up. A zero up makes the
            // start exact; a non-degenerate down gives up a gradient from the first step.
            ParameterInit.KaimingUniform(adapter_down.weight!, a: Math.Sqrt(5));
            adapter_down.bias!.zero_();
            adapter_up.weight!.zero_();
            adapter_up.bias!.zero_();
        }
        RegisterComponents();
    }

    /// <summary>Bottleneck width m.</summary>
    public int BottleneckSize { get; }

    /// <summary>The nonlinearity between the down- and up-projection.</summary>
    public AdapterActivation Activation => activation;

    /// <summary>Names of the adapter's own submodules (relative to this module): what trains.</summary>
    public static IReadOnlyList<string> AdapterModules { get; } = new[] { "adapter_down", "adapter_up" };

    /// <inheritdoc/>
    /// <remarks>Computes in the type of <paramref name="x"/> (the adapter's float32 weights are cast for the product in mixed precision).</remarks>
    public override Tensor forward(Tensor x)
    {
        var z = MixedPrecision.Linear(x, weight, bias);
        var h = MixedPrecision.Forward(adapter_down, z);
        h = activation == AdapterActivation.Relu ? nn.functional.relu(h) : nn.functional.gelu(h);
        return z + MixedPrecision.Forward(adapter_up, h);
    }

    void IHoldsFrozenWeights.StoreFrozenWeights(ScalarType type)
    {
        if (MixedPrecision.Converted(weight, type) is { } w) weight = Replace("weight", weight, w);
        if (bias is not null && MixedPrecision.Converted(bias, type) is { } b) bias = Replace("bias", bias, b);
    }

    private Parameter Replace(string name, Parameter old, Parameter replacement)
    {
        ConditionallyRegisterParameter(name, replacement);   // replaces the registered one of that name
        old.Dispose();
        return replacement;
    }
}
