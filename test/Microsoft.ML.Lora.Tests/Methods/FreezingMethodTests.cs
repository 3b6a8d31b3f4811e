using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Methods;

public class FreezingMethodTests
{
    private const int Labels = 3;

    [Theory]
    [InlineData(Architecture.Bert)]
    [InlineData(Architecture.Roberta)]
    [InlineData(Architecture.DistilBert)]
    public void FullTrainsEveryTensor(Architecture architecture)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch, Labels);
        FineTuningMethod.Full.Apply(model);
        Assert.Equal(model.parameters().Sum(p => p.numel()), MethodTestKit.Trainable(model));
        var before = MethodTestKit.Snapshot(model);
        MethodTestKit.Train(model);
        MethodTestKit.AssertOnlyTrainableChanged(before, model, _ => true);
    }

    [Theory]
    [InlineData(Architecture.Bert)]
    [InlineData(Architecture.Roberta)]
    [InlineData(Architecture.DistilBert)]
    public void HeadOnlyTrainsTheHeadAndNothingElse(Architecture architecture)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch, Labels);
        var c = model.Encoder.Config;
        var baseline = MethodTestKit.Logits(model);
        FineTuningMethod.HeadOnly.Apply(model);
        Assert.True(TensorAssert.Identical(baseline, MethodTestKit.Logits(model)));
        Assert.Equal(MethodTestKit.HeadParameters(c, Labels), MethodTestKit.Trainable(model));
        var before = MethodTestKit.Snapshot(model);
        MethodTestKit.Train(model);
        MethodTestKit.AssertOnlyTrainableChanged(before, model, name => !name.StartsWith(c.Names.Root + ".", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Architecture.Bert, 1)]
    [InlineData(Architecture.Roberta, 1)]
    [InlineData(Architecture.DistilBert, 2)]
    public void LastLayersTrainsTheTopLayersThePoolerAndTheHead(Architecture architecture, int count)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch, Labels);
        var c = model.Encoder.Config;
        FineTuningMethod.LastLayers(count).Apply(model);
        long pooler = model.Encoder.HasPooler ? c.HiddenSize * (c.HiddenSize + 1) : 0;
        Assert.Equal(count * MethodTestKit.LayerParameters(c) + pooler + MethodTestKit.HeadParameters(c, Labels), MethodTestKit.Trainable(model));
        var trainedLayers = Enumerable.Range(c.NumLayers - count, count).Select(i => $"{c.Names.Root}.{c.Names.LayerList}.{i}.").ToList();
        var before = MethodTestKit.Snapshot(model);
        MethodTestKit.Train(model);
        MethodTestKit.AssertOnlyTrainableChanged(before, model, name =>
            !name.StartsWith(c.Names.Root + ".", StringComparison.Ordinal)
            || name.StartsWith(c.Names.Root + ".pooler.", StringComparison.Ordinal)
            || trainedLayers.Any(l => name.StartsWith(l, StringComparison.Ordinal)));
    }

    [Fact]
    public void LastLayersRejectsMoreLayersThanTheEncoderHas()
    {
        using var model = TinyModels.Classifier();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => FineTuningMethod.LastLayers(3).Apply(model));
        Assert.Contains("only 2 layers", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FineTuningMethod.LastLayers(0));
    }
}
