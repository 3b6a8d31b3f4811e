using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Lora;

public class LoraLinearTests
{
    [Theory]
    [InlineData(Architecture.Bert)]
    [InlineData(Architecture.Roberta)]
    [InlineData(Architecture.DistilBert)]
    public void FreshAdaptersLeaveTheOutputIdentical(Architecture architecture)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch);
        model.eval();
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
        using var _ = no_grad();
        var before = model.forward(ids, mask).clone();
        var adapted = LoraInjector.Inject(model, new LoraOptions { Rank = 4 });
        Assert.Equal(4, adapted.Count);   // 2 layers × (query, value)
        Assert.True(TensorAssert.Identical(before, model.forward(ids, mask)));
    }

    [Fact]
    public void MergedAndUnmergedAgree()
    {
        using var model = TinyModels.Classifier();
        model.eval();
        LoraInjector.Inject(model, new LoraOptions { Rank = 4, TargetAllLinear = true });
        var loras = model.modules().OfType<LoraLinear>().ToList();
        using var _ = no_grad();
        foreach (var l in loras) l.LoraB.normal_(0, 0.5);
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
        var unmerged = model.forward(ids, mask).clone();
        foreach (var l in loras) l.Merge();
        var merged = model.forward(ids, mask).clone();
        Assert.True(merged.allclose(unmerged, rtol: 0, atol: 1e-5), $"max diff {(merged - unmerged).abs().max().item<float>()}");
        using var baseModel = TinyModels.Classifier();
        baseModel.eval();
        Assert.True(TensorAssert.MaxAbsDiff(model.Encoder.Encode(ids, mask), baseModel.Encoder.Encode(ids, mask)) > 0.1);
        foreach (var l in loras) l.Unmerge();
        Assert.True(model.forward(ids, mask).allclose(unmerged, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void MergeAndUnloadLeavesThePlainArchitectureWithTheSameOutputs()
    {
        using var model = TinyModels.Classifier();
        LoraInjector.Inject(model, new LoraOptions { Rank = 4 });
        model.eval();
        using (no_grad())
            foreach (var l in model.modules().OfType<LoraLinear>()) l.LoraB.normal_(0, 0.5);
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
        using var _ = no_grad();
        var before = model.forward(ids, mask).clone();
        Assert.Equal(4, LoraInjector.MergeAndUnload(model));
        Assert.Empty(model.modules().OfType<LoraLinear>());
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("lora_"));
        using var plain = TinyModels.Classifier();
        Assert.Equal(plain.state_dict().Keys.Order(), model.state_dict().Keys.Order());   // the base architecture's keys, nothing else
        Assert.True(model.forward(ids, mask).allclose(before, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void OnlyLoraAndHeadChangeAfterAnOptimizerStep()
    {
        using var model = TinyModels.Classifier();
        LoraInjector.Inject(model, new LoraOptions { Rank = 2 });
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        var opt = optim.AdamW(trainable, 0.01);
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
        for (int step = 0; step < 2; step++)   // B is zero at step 0, so A only moves from step 1
        {
            opt.zero_grad();
            nn.functional.cross_entropy(model.forward(ids, mask), tensor(new long[] { 0, 1, 2 })).backward();
            opt.step();
        }
        foreach (var (name, t) in model.state_dict())
        {
            bool isTrainable = name.Contains("lora_") || name.StartsWith("classifier.");
            bool same = TensorAssert.Identical(before[name], t);
            Assert.True(isTrainable ? !same : same, $"{name}: trainable={isTrainable} unchanged={same}");
        }
        Assert.All(model.named_parameters().Where(p => !p.name.Contains("lora_") && !p.name.StartsWith("classifier.")),
            p => Assert.Null(p.parameter.grad));
    }

    [Theory]
    [InlineData(384, 6, 12, 1536, 73_728)]     // all-MiniLM-L6-v2
    [InlineData(768, 12, 12, 3072, 294_912)]   // bert-base
    public void LoraParameterCountsEqualPeft(int hidden, int layers, int heads, int inter, long expected)
    {
        var c = new EncoderConfig { HiddenSize = hidden, NumLayers = layers, NumHeads = heads, IntermediateSize = inter, VocabSize = 100 };
        using var model = new SequenceClassificationModel(EncoderModel.Create(c, addPoolingLayer: true), 3);
        LoraInjector.Inject(model, new LoraOptions { Rank = 8 });
        long lora = model.named_parameters().Where(p => p.name.Contains("lora_")).Sum(p => p.parameter.numel());
        Assert.Equal(expected, lora);
        var report = TrainableParameterReport.Of(model);
        Assert.Equal(expected + hidden * 3 + 3, report.Trainable);   // + classifier
    }

    [Fact]
    public void TargetSelectionFollowsPeftSemantics()
    {
        using var model = TinyModels.Classifier();
        Assert.Equal(new[] { "bert.encoder.layer.1.attention.self.query" },
            LoraInjector.TargetNames(model, new LoraOptions { TargetModules = new[] { "query" }, LayersToTransform = new[] { 1 } }));
        Assert.Equal(new[] { "bert.encoder.layer.0.attention.output.dense", "bert.encoder.layer.0.output.dense",
                "bert.encoder.layer.1.attention.output.dense", "bert.encoder.layer.1.output.dense" },
            LoraInjector.TargetNames(model, new LoraOptions { TargetModulesRegex = @".*\.output\.dense" }));
        // all-linear: 6 per layer + pooler, never the head
        Assert.Equal(13, LoraInjector.TargetNames(model, new LoraOptions { TargetAllLinear = true }).Count);
        var ex = Assert.Throws<ArgumentException>(() => LoraInjector.Inject(model, new LoraOptions { TargetModules = new[] { "q_lin" } }));
        Assert.Contains("q_lin", ex.Message);
    }
}
