using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Methods;

/// <summary>LoRA through the <see cref="FineTuningMethod"/> interface (the layer itself is tested in Lora/).</summary>
public class LoraMethodTests
{
    [Theory]
    [InlineData(Architecture.Roberta)]
    [InlineData(Architecture.DistilBert)]
    public void StartsAtTheBaseTrainsOnlyLoraAndTheHeadAndMergesForInference(Architecture architecture)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch, 3);
        var c = model.Encoder.Config;
        var baseline = MethodTestKit.Logits(model);
        var method = FineTuningMethod.Lora(new LoraOptions { Rank = 2, Dropout = 0 });
        method.Apply(model);
        Assert.True(TensorAssert.Identical(baseline, MethodTestKit.Logits(model)));
        // query and value of every layer: r·(H + H) each
        Assert.Equal(c.NumLayers * 2 * 2 * (2 * c.HiddenSize) + MethodTestKit.HeadParameters(c, 3), MethodTestKit.Trainable(model));

        var before = MethodTestKit.Snapshot(model);
        MethodTestKit.Train(model);
        MethodTestKit.AssertOnlyTrainableChanged(before, model, name =>
            !name.StartsWith(c.Names.Root + ".", StringComparison.Ordinal) || name.Contains(".lora_", StringComparison.Ordinal));

        var unmerged = MethodTestKit.Logits(model);
        method.PrepareForInference(model);
        Assert.All(model.modules().OfType<LoraLinear>(), l => Assert.True(l.Merged));
        var merged = MethodTestKit.Logits(model);
        Assert.True(unmerged.allclose(merged, rtol: 0, atol: 1e-5), $"max diff {TensorAssert.MaxAbsDiff(unmerged, merged)}");
        method.PrepareForTraining(model);
        Assert.All(model.modules().OfType<LoraLinear>(), l => Assert.False(l.Merged));
    }
}
