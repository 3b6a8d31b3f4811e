using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Methods;

public class PrefixTuningMethodTests
{
    private const int Labels = 3;

    [Theory]
    [InlineData(Architecture.Bert, true)]
    [InlineData(Architecture.Roberta, false)]
    [InlineData(Architecture.DistilBert, true)]
    public void PrefixChangesTheOutputButPaddingStillDoesNot(Architecture architecture, bool reparameterize)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch, Labels);
        var c = model.Encoder.Config;
        var (ids, mask) = TinyModels.Batch(c, batch: 2, length: 6, pad: 0, seed: 9);
        Tensor Hidden() { model.eval(); using var _ = no_grad(); return model.Encoder.Encode(ids, mask).clone(); }
        var baseline = Hidden();
        FineTuningMethod.PrefixTuning(length: 3, reparameterize, hiddenSize: 8).Apply(model);
        // A fresh prefix is not neutral (tiny random heads barely move the logits, so look at the hidden states).
        Assert.True(TensorAssert.MaxAbsDiff(baseline, Hidden()) > 1e-2, $"max diff {TensorAssert.MaxAbsDiff(baseline, Hidden())}");

        // No padding anywhere: the layout has no mask and the prefix goes in without one.
        var unpadded = MethodTestKit.Logits(model, (ids, mask));

        // The same rows padded by 4 (mask extended by the prefix's ones), alone and beside a full-length row.
        var padIds = cat(new[] { ids, full(2, 4, c.PadTokenId, dtype: ScalarType.Int64) }, 1);
        var padMask = cat(new[] { mask, zeros(2, 4, dtype: ScalarType.Int64) }, 1);
        var padded = MethodTestKit.Logits(model, (padIds, padMask));
        Assert.True(unpadded.allclose(padded, rtol: 0, atol: 1e-5), $"max diff {TensorAssert.MaxAbsDiff(unpadded, padded)}");
        var (longIds, longMask) = TinyModels.Batch(c, batch: 1, length: 10, pad: 0, seed: 11);
        var mixed = MethodTestKit.Logits(model, (cat(new[] { padIds[..1], longIds }, 0), cat(new[] { padMask[..1], longMask }, 0)));
        Assert.True(unpadded[..1].allclose(mixed[..1], rtol: 0, atol: 1e-5), $"max diff {TensorAssert.MaxAbsDiff(unpadded[..1], mixed[..1])}");
        Assert.True(MethodTestKit.Logits(model, (longIds, longMask)).allclose(mixed[1..], rtol: 0, atol: 1e-5));
    }

    [Theory]
    [InlineData(Architecture.Bert, true)]
    [InlineData(Architecture.DistilBert, false)]
    public void OnlyThePrefixAndTheHeadChangeAfterOptimizerSteps(Architecture architecture, bool reparameterize)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch, Labels);
        var c = model.Encoder.Config;
        FineTuningMethod.PrefixTuning(length: 3, reparameterize, hiddenSize: 8).Apply(model);
        var before = MethodTestKit.Snapshot(model);
        Assert.Contains(before.Keys, k => k.StartsWith("prefix_encoder.embedding.", StringComparison.Ordinal));
        var trained = MethodTestKit.Logits(model);
        MethodTestKit.Train(model);
        MethodTestKit.AssertOnlyTrainableChanged(before, model, name => !name.StartsWith(c.Names.Root + ".", StringComparison.Ordinal));
        Assert.True(TensorAssert.MaxAbsDiff(trained, MethodTestKit.Logits(model)) > 1e-4);
    }

    [Theory]
    [InlineData(Architecture.Bert, 3, true, 8)]
    [InlineData(Architecture.Roberta, 5, false, 0)]
    [InlineData(Architecture.DistilBert, 20, true, 512)]
    public void TrainableParameterCountFollowsTheFormula(Architecture architecture, int length, bool reparameterize, int hidden)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch, Labels);
        var c = model.Encoder.Config;
        FineTuningMethod.PrefixTuning(length, reparameterize, hidden).Apply(model);
        long h = c.HiddenSize, width = c.NumLayers * 2 * h;
        long prefix = reparameterize ? length * h + (h * hidden + hidden) + (hidden * width + width) : length * width;
        Assert.Equal(prefix + MethodTestKit.HeadParameters(c, Labels), MethodTestKit.Trainable(model));
    }

    [Fact]
    public void TheInferenceCacheGivesTheSameOutputAndTrainingResumesAfterIt()
    {
        using var model = TinyModels.Classifier();
        var method = FineTuningMethod.PrefixTuning(length: 4, reparameterize: true, hiddenSize: 8);
        method.Apply(model);
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
        var computed = MethodTestKit.Logits(model, (ids, mask));
        method.PrepareForInference(model);
        Tensor cached;
        using (inference_mode()) cached = model.forward(ids, mask).clone();
        Assert.True(computed.allclose(cached, rtol: 0, atol: 1e-6), $"max diff {TensorAssert.MaxAbsDiff(computed, cached)}");

        method.PrepareForTraining(model);
        var before = MethodTestKit.Snapshot(model);
        MethodTestKit.Train(model, steps: 1);
        Assert.False(TensorAssert.Identical(before["prefix_encoder.transform.2.weight"], model.state_dict()["prefix_encoder.transform.2.weight"]));
        Assert.True(TensorAssert.MaxAbsDiff(computed, MethodTestKit.Logits(model, (ids, mask))) > 1e-4);
    }

    [Fact]
    public void KeysAndValuesFollowPeftsLayout()
    {
        // PEFT: past_key_values [length, layers·2·H] → view(length, layers·2, heads, d) → per layer (2i key, 2i+1 value), [heads, length, d].
        using var model = TinyModels.Classifier();
        var c = model.Encoder.Config;
        FineTuningMethod.PrefixTuning(length: 3, reparameterize: false).Apply(model);
        var prefix = (PrefixEncoder)model.Encoder.Prefix!;
        var table = model.state_dict()["prefix_encoder.embedding.weight"];
        Assert.Equal(new long[] { 3, c.NumLayers * 2 * c.HiddenSize }, table.shape);
        int d = c.HiddenSize / c.NumHeads;
        var (key, value) = prefix.KeysAndValues(1, batchSize: 2);
        Assert.Equal(new long[] { 2, c.NumHeads, 3, d }, key.shape);
        // position 2, layer 1, head 1, element 0 of the key and of the value
        Assert.Equal(table[2, (2 * 1 + 0) * c.HiddenSize + 1 * d].item<float>(), key[1, 1, 2, 0].item<float>());
        Assert.Equal(table[2, (2 * 1 + 1) * c.HiddenSize + 1 * d].item<float>(), value[0, 1, 2, 0].item<float>());
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FineTuningMethod.PrefixTuning(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => FineTuningMethod.PrefixTuning(4, reparameterize: true, hiddenSize: 0));
        using var model = TinyModels.Classifier();
        FineTuningMethod.PrefixTuning(2).Apply(model);
        Assert.Throws<InvalidOperationException>(() => FineTuningMethod.PrefixTuning(2).Apply(model));
    }
}
