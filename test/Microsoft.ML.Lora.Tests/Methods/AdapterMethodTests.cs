using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Methods;

public class AdapterMethodTests
{
    private const int Labels = 3;

    [Theory]
    [InlineData(Architecture.Bert)]
    [InlineData(Architecture.Roberta)]
    [InlineData(Architecture.DistilBert)]
    public void FreshAdaptersSitAfterBothProjectionsAndLeaveTheOutputIdentical(Architecture architecture)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch, Labels);
        var c = model.Encoder.Config;
        var baseline = MethodTestKit.Logits(model);
        FineTuningMethod.Adapters(bottleneckSize: 4).Apply(model);
        var adapted = model.named_modules().Where(m => m.module is BottleneckAdapter).Select(m => m.name).ToList();
        var expected = Enumerable.Range(0, c.NumLayers)
            .SelectMany(i => new[] { c.Names.AttentionOutput, c.Names.FeedForwardOut }.Select(r => $"{c.Names.Root}.{c.Names.LayerList}.{i}.{r}"));
        Assert.Equal(expected, adapted);
        Assert.True(TensorAssert.Identical(baseline, MethodTestKit.Logits(model)));
    }

    [Theory]
    [InlineData(Architecture.Bert, true)]
    [InlineData(Architecture.Roberta, false)]
    [InlineData(Architecture.DistilBert, true)]
    public void OnlyAdaptersLayerNormsAndHeadChangeAfterOptimizerSteps(Architecture architecture, bool trainLayerNorms)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch, Labels);
        var c = model.Encoder.Config;
        var baseline = MethodTestKit.Logits(model);
        FineTuningMethod.Adapters(bottleneckSize: 4, trainLayerNorms: trainLayerNorms).Apply(model);
        var before = MethodTestKit.Snapshot(model);
        MethodTestKit.Train(model);
        MethodTestKit.AssertOnlyTrainableChanged(before, model, name =>
            !name.StartsWith(c.Names.Root + ".", StringComparison.Ordinal)
            || name.Contains(".adapter_", StringComparison.Ordinal)
            || (trainLayerNorms && (name.Contains("LayerNorm.", StringComparison.Ordinal) || name.Contains("layer_norm.", StringComparison.Ordinal))));
        Assert.True(TensorAssert.MaxAbsDiff(baseline, MethodTestKit.Logits(model)) > 1e-3);
    }

    [Theory]
    [InlineData(Architecture.Bert, 4, true)]
    [InlineData(Architecture.Bert, 64, false)]
    [InlineData(Architecture.DistilBert, 8, true)]
    public void TrainableParameterCountFollowsTheFormula(Architecture architecture, int m, bool trainLayerNorms)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch, Labels);
        var c = model.Encoder.Config;
        long h = c.HiddenSize, total = model.parameters().Sum(p => p.numel());
        FineTuningMethod.Adapters(m, trainLayerNorms: trainLayerNorms).Apply(model);
        long adapters = c.NumLayers * 2 * (2 * m * h + m + h);
        long layerNorms = trainLayerNorms ? c.NumLayers * 4 * h + 2 * h : 0;
        Assert.Equal(adapters + layerNorms + MethodTestKit.HeadParameters(c, Labels), MethodTestKit.Trainable(model));
        Assert.Equal(total + adapters, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void MiniLmSizedCountIsHoulsbys()
    {
        // all-MiniLM-L6-v2's shape: 6 layers × 2 adapters × (2·64·384 + 64 + 384) = 595,200, + 9,984 LayerNorm parameters.
        var c = new EncoderConfig { HiddenSize = 384, NumLayers = 6, NumHeads = 12, IntermediateSize = 1536, VocabSize = 100 };
        using var model = new SequenceClassificationModel(EncoderModel.Create(c, addPoolingLayer: true), 3);
        FineTuningMethod.Adapters().Apply(model);
        Assert.Equal(595_200 + 9_984 + 384 * 3 + 3, MethodTestKit.Trainable(model));
    }

    [Fact]
    public void ReluAdapterComputesZPlusUpOfReluOfDownOfZ()
    {
        manual_seed(3);
        using var linear = nn.Linear(6, 5);
        using var adapter = new BottleneckAdapter(linear, 3, AdapterActivation.Relu);
        var p = adapter.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        using (no_grad()) { p["adapter_up.weight"].normal_(); p["adapter_up.bias"].normal_(); }
        var x = randn(4, 6);
        using var _ = no_grad();
        var z = nn.functional.linear(x, p["weight"], p["bias"]);
        var expected = z + nn.functional.linear(nn.functional.relu(nn.functional.linear(z, p["adapter_down.weight"], p["adapter_down.bias"])),
            p["adapter_up.weight"], p["adapter_up.bias"]);
        Assert.True(expected.allclose(adapter.forward(x), rtol: 0, atol: 1e-6));
        Assert.False(p["weight"].requires_grad);
        Assert.True(p["adapter_down.weight"].requires_grad);
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FineTuningMethod.Adapters(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => FineTuningMethod.Adapters(8, (AdapterActivation)7));
        using var model = TinyModels.Classifier();
        FineTuningMethod.Adapters(4).Apply(model);
        var twice = Assert.Throws<InvalidOperationException>(() => FineTuningMethod.Adapters(4).Apply(model));
        Assert.Contains("attention.output.dense", twice.Message);
    }
}
