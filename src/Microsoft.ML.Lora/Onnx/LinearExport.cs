using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// A projection slot of the model (<c>query</c>, <c>output.dense</c>, <c>classifier</c>, ...) in its inference form, whatever a
/// fine-tuning method put there: a plain <c>Linear</c>; a LoRA layer, written with its update folded in (W0 + B·A·scale, what
/// merging computes); or a Linear with a bottleneck adapter, written as the projection followed by z + up(act(down(z))).
/// Weights are stored transposed ([in, out], named <c>{module}.weight_t</c>) so that one MatMul applies them.
/// </summary>
internal static class LinearExport
{
    /// <summary>y = x · Wᵀ + b for the module <paramref name="name"/>, checked to map <paramref name="inFeatures"/> to <paramref name="outFeatures"/>.</summary>
    /// <exception cref="NotSupportedException">The slot holds a module the exporter does not know.</exception>
    public static string Emit(OnnxGraphBuilder g, ModelWeights w, string name, string x, long inFeatures, long outFeatures)
    {
        using var _ = g.Scope(name);
        return w.Module(name) switch
        {
            Linear => Affine(g, name, w.Tensor($"{name}.weight", outFeatures, inFeatures), w.Tensor($"{name}.bias", outFeatures), x, doc: null),
            LoraLinear lora => LoraMerged(g, w, name, lora, x, inFeatures, outFeatures),
            BottleneckAdapter adapter => WithAdapter(g, w, name, adapter, x, inFeatures, outFeatures),
            var other => throw new NotSupportedException(
                $"ONNX export: module '{name}' is a {other.GetType().Name}; the exporter writes Linear, LoRA and bottleneck-adapter projections only."),
        };
    }

    private static string LoraMerged(OnnxGraphBuilder g, ModelWeights w, string name, LoraLinear lora, string x, long inFeatures, long outFeatures)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var merged = w.Tensor($"{name}.weight", outFeatures, inFeatures).detach() + lora.DeltaWeight();   // what LoraLinear.Merge computes
        return Affine(g, name, merged, w.Tensor($"{name}.bias", outFeatures), x, doc: "LoRA merged: W0 + B·A·scale, transposed to [in, out]");
    }

    private static string WithAdapter(OnnxGraphBuilder g, ModelWeights w, string name, BottleneckAdapter adapter, string x, long inFeatures, long outFeatures)
    {
        var z = Affine(g, name, w.Tensor($"{name}.weight", outFeatures, inFeatures), w.Tensor($"{name}.bias", outFeatures), x, doc: null);
        long m = adapter.BottleneckSize;
        var down = Affine(g, $"{name}.adapter_down", w.Tensor($"{name}.adapter_down.weight", m, outFeatures), w.Tensor($"{name}.adapter_down.bias", m), z, doc: null);
        var h = adapter.Activation == AdapterActivation.Relu ? g.Relu(down) : ActivationExport.GeluErf(g, down);
        var up = Affine(g, $"{name}.adapter_up", w.Tensor($"{name}.adapter_up.weight", outFeatures, m), w.Tensor($"{name}.adapter_up.bias", outFeatures), h, doc: null);
        return g.Add(z, up);
    }

    private static string Affine(OnnxGraphBuilder g, string name, Tensor weight, Tensor bias, string x, string? doc)
    {
        long outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        var wt = g.Initializer($"{name}.weight_t", OnnxTensors.Values(weight.t()), new[] { inFeatures, outFeatures },
            doc ?? $"Hugging Face '{name}.weight' transposed to [in, out]");
        var b = g.Initializer($"{name}.bias", OnnxTensors.Values(bias), new[] { outFeatures });
        return g.Add(g.MatMul(x, wt), b);
    }
}
