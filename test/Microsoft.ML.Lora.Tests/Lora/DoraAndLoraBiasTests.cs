using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Lora;

/// <summary>
/// DoRA and lora_bias as PEFT computes them: DoRA's output is m/‖W0 + ΔW‖ · (W0 + ΔW)·x + b (row norms, PEFT's
/// <c>DoraLinearLayer</c>), merged the same way; B's bias adds scale·b_B and merges into the bias. Both saved under PEFT's keys.
/// </summary>
public class DoraAndLoraBiasTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static (LoraLinear Layer, Tensor W0, Tensor B0) Layer(bool dora, bool bias, double dropout = 0)
    {
        manual_seed(4);
        var linear = nn.Linear(12, 10);
        var w0 = linear.weight!.detach().clone();
        var b0 = linear.bias!.detach().clone();
        var layer = new LoraLinear(linear, 3, 2.5, dropout, LoraInit.KaimingUniform, loraBias: bias, useDora: dora);
        return (layer, w0, b0);
    }

    private static double Diff(Tensor a, Tensor expected) => (a.to(ScalarType.Float64) - expected).abs().max().item<double>();

    [Fact]
    public void AFreshDoraLayerComputesTheBaseLayer()
    {
        var (layer, w0, b0) = Layer(dora: true, bias: false);
        layer.eval();
        Assert.Equal(new long[] { 10 }, layer.MagnitudeVector!.shape);
        var x = randn(4, 12);
        using var _ = no_grad();
        Assert.True(TensorAssert.MaxAbsDiff(layer.forward(x), nn.functional.linear(x, w0, b0)) < 1e-6);
        Assert.True(TensorAssert.MaxAbsDiff(layer.MagnitudeVector, w0.norm(1, false, 2)) < 1e-6);   // m starts at ‖W0‖ per row
    }

    [Fact]
    public void DoraOutputAndMergeArePeftsFormula()
    {
        var (layer, w0, b0) = Layer(dora: true, bias: false);
        layer.eval();
        using (no_grad())
        {
            layer.LoraB.normal_(0, 0.3);
            layer.MagnitudeVector!.mul_(rand(10).add_(0.5));
        }
        var x = randn(5, 12);
        // By hand in float64: ΔW = scale·B·A; W' = m/‖W0 + ΔW‖_row · (W0 + ΔW).
        var delta = layer.LoraB.detach().to(ScalarType.Float64).matmul(layer.LoraA.detach().to(ScalarType.Float64)) * 2.5;
        var direction = w0.to(ScalarType.Float64) + delta;
        var merged = direction * (layer.MagnitudeVector!.detach().to(ScalarType.Float64) / direction.norm(1, false, 2)).unsqueeze(1);
        var expected = nn.functional.linear(x.to(ScalarType.Float64), merged, b0.to(ScalarType.Float64));
        using var _ = no_grad();
        Assert.True(Diff(layer.forward(x), expected) < 1e-5);
        Assert.True((layer.MergedWeight().to(ScalarType.Float64) - merged).abs().max().item<double>() < 1e-6);
        layer.Merge();
        Assert.True(Diff(layer.forward(x), expected) < 1e-5);
        layer.Unmerge();
        using var plain = layer.ToMergedLinear();
        Assert.True(Diff(plain.forward(x), expected) < 1e-5);
    }

    [Fact]
    public void DoraTrainsTheMagnitudeAndNotTheNorm()
    {
        var (layer, _, _) = Layer(dora: true, bias: false, dropout: 0.3);
        layer.train();
        using (no_grad()) layer.LoraB.normal_(0, 0.3);
        var y = layer.forward(randn(6, 12));
        y.sum().backward();
        Assert.NotNull(layer.MagnitudeVector!.grad);
        Assert.True(layer.MagnitudeVector.grad!.abs().sum().item<float>() > 0);
        Assert.NotNull(layer.LoraA.grad);
        Assert.Null(layer.Weight.grad);
    }

    [Fact]
    public void LoraBiasAddsScaledBiasAndMergesIntoTheLayersBias()
    {
        var (layer, w0, b0) = Layer(dora: false, bias: true);
        layer.eval();
        Assert.NotNull(layer.LoraBBias);
        Assert.Equal(0, layer.LoraBBias!.abs().sum().item<float>());   // starts at zero: a no-op
        using (no_grad())
        {
            layer.LoraB.normal_(0, 0.3);
            layer.LoraBBias.normal_(0, 0.3);
        }
        var x = randn(5, 12);
        using var _ = no_grad();
        var expected = nn.functional.linear(x, w0 + layer.DeltaWeight(), b0 + layer.LoraBBias * 2.5);
        Assert.True(TensorAssert.MaxAbsDiff(layer.forward(x), expected) < 1e-5);
        Assert.True(TensorAssert.MaxAbsDiff(layer.MergedBias()!, b0 + layer.LoraBBias * 2.5) < 1e-6);
        layer.Merge();
        Assert.True(TensorAssert.MaxAbsDiff(layer.forward(x), expected) < 1e-5);
    }

    [Fact]
    public void DoraAndLoraBiasAreSavedUnderPeftsKeys()
    {
        foreach (var (options, key, config) in new[]
        {
            (new LoraOptions { Rank = 2, UseDora = true }, "base_model.model.bert.encoder.layer.0.attention.self.query.lora_magnitude_vector", "\"use_dora\": true"),
            (new LoraOptions { Rank = 2, LoraBias = true }, "base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.bias", "\"lora_bias\": true"),
        })
        {
            using var model = TinyModels.Classifier();
            LoraInjector.Inject(model, options);
            var folder = temp[key[^10..]];
            PeftAdapter.Save(model, options, PeftTaskType.SequenceClassification, folder, null);
            var header = SafetensorsHeader.Read(Path.Combine(folder, PeftAdapter.WeightsFileName));
            Assert.Equal(new long[] { 16 }, header.Tensors[key].Shape);
            Assert.Contains(config, File.ReadAllText(Path.Combine(folder, PeftAdapterConfig.FileName)));
        }
    }
}
