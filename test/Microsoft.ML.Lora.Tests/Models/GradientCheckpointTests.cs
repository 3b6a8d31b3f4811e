using Microsoft.ML.Lora.Models;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Models;

/// <summary>Gradient checkpointing recomputes layers or their attention in backward: the same loss and gradients, dropout masks included.</summary>
public class GradientCheckpointTests
{
    public static TheoryData<string, Architecture, GradientCheckpointing> Cases()
    {
        var data = new TheoryData<string, Architecture, GradientCheckpointing>();
        foreach (var mode in new[] { GradientCheckpointing.Attention, GradientCheckpointing.Layers })
        {
            foreach (var m in new[] { "lora", "full", "adapters", "prefix", "last" }) data.Add(m, Architecture.Bert, mode);
            data.Add("lora", Architecture.DistilBert, mode);
            data.Add("full", Architecture.DistilBert, mode);
            data.Add("full", Architecture.Roberta, mode);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SameLossAndGradientsAsWithout(string method, Architecture architecture, GradientCheckpointing mode)
    {
        var arch = architecture.ToEncoder();
        foreach (var precision in new[] { Precision.Float32, Precision.BFloat16 })
        {
            using var model = TinyModels.Classifier(arch);
            MixedPrecisionTests.MethodNamed(method).Apply(model);
            model.Encoder.UsePrecision(precision);
            using (no_grad())
                foreach (var p in model.parameters().Where(p => p.requires_grad)) p.add_(randn_like(p) * 0.1);   // no zero-initialised B/up: every gradient non-trivial
            model.train();   // dropout on: the recomputation must replay the forward pass's masks
            var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
            var labels = tensor(new long[] { 0, 1, 2 });

            var (plainLoss, plainGrads) = LossAndGradients(model, ids, mask, labels, GradientCheckpointing.None);
            int before = GradientCheckpoint.Recomputations;
            var (ckptLoss, ckptGrads) = LossAndGradients(model, ids, mask, labels, mode);
            int recomputed = GradientCheckpoint.Recomputations - before, layers = model.Encoder.Config.NumLayers;
            // One block per layer, except below the first trained layer ("last": a frozen block on a frozen input has no graph).
            if (method == "last") Assert.InRange(recomputed, 1, layers - 1);
            else Assert.Equal(layers, recomputed);

            Assert.Equal(plainLoss, ckptLoss, 6);
            Assert.Equal(plainGrads.Keys, ckptGrads.Keys);
            Assert.All(plainGrads.Keys, name =>
            {
                float scale = Math.Max(1e-3f, plainGrads[name].abs().max().item<float>());
                float diff = TensorAssert.MaxAbsDiff(plainGrads[name], ckptGrads[name]);
                Assert.True(diff <= 1e-5f * scale + 1e-7f, $"{mode} {precision} {name}: gradient differs by {diff} (scale {scale})");
            });
            Assert.Contains(plainGrads.Values, g => g.abs().max().item<float>() > 0);
        }
    }

    [Fact]
    public void FrozenEncoderNeedsNoRecomputation()
    {
        using var model = TinyModels.Classifier();
        FineTuningMethod.HeadOnly.Apply(model);
        model.train();
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
        int before = GradientCheckpoint.Recomputations;
        var (loss, grads) = LossAndGradients(model, ids, mask, tensor(new long[] { 0, 1, 2 }), GradientCheckpointing.Layers);
        Assert.Equal(before, GradientCheckpoint.Recomputations);
        Assert.True(float.IsFinite(loss));
        Assert.All(grads.Keys, k => Assert.StartsWith("classifier.", k));
    }

    [Fact]
    public void ScoringIsUnaffected()
    {
        using var model = TinyModels.Classifier();
        model.eval();
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
        using var _ = no_grad();
        var plain = model.forward(ids, mask);
        foreach (var mode in new[] { GradientCheckpointing.Attention, GradientCheckpointing.Layers })
        {
            model.Encoder.GradientCheckpointing = mode;
            Assert.True(TensorAssert.Identical(plain, model.forward(ids, mask)), $"{mode}");
        }
    }

    private static (float Loss, Dictionary<string, Tensor> Grads) LossAndGradients(TaskModel model, Tensor ids, Tensor mask, Tensor labels, GradientCheckpointing checkpointing)
    {
        model.Encoder.GradientCheckpointing = checkpointing;
        foreach (var p in model.parameters()) p.grad = null;
        DropoutMasks.Reseed(42);
        var loss = nn.functional.cross_entropy(model.forward(ids, mask), labels);
        loss.backward();
        var grads = model.named_parameters().Where(p => p.parameter.requires_grad)
            .ToDictionary(p => p.name, p => p.parameter.grad?.clone() ?? zeros_like(p.parameter));
        return (loss.item<float>(), grads);
    }
}
