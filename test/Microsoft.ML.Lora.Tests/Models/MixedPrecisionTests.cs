using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Training;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Models;

/// <summary>Mixed bfloat16: the same function as float32 within bfloat16's rounding, with everything that trains kept in float32.</summary>
public class MixedPrecisionTests
{
    public static TheoryData<Architecture> Architectures => new(Enum.GetValues<Architecture>());

    // bfloat16 keeps 8 significant bits (relative rounding 2⁻⁹ ≈ 0.2%); through two layers of a tiny model the LayerNorm-scaled
    // hidden states (order 1) differ from float32 by a few hundredths, the head's logits by less.
    private const float HiddenTolerance = 0.06f, LogitTolerance = 0.03f;

    [Theory]
    [MemberData(nameof(Architectures))]
    public void BFloat16ForwardMatchesFloat32WithinTolerance(Architecture architecture)
    {
        using var model = TinyModels.Classifier(architecture.ToEncoder());
        model.eval();
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
        using var _ = no_grad();
        var hidden32 = model.Encoder.Encode(ids, mask);
        var logits32 = model.forward(ids, mask);

        model.Encoder.UsePrecision(Precision.BFloat16);
        var hidden16 = model.Encoder.Encode(ids, mask);
        var logits16 = model.forward(ids, mask);

        Assert.Equal(ScalarType.Float32, hidden16.dtype);   // the residual stream and LayerNorm stay float32
        Assert.Equal(ScalarType.Float32, logits16.dtype);
        Assert.False(TensorAssert.Identical(hidden32, hidden16), "bfloat16 should round somewhere");
        Assert.True(TensorAssert.MaxAbsDiff(hidden32, hidden16) < HiddenTolerance, $"hidden max diff {TensorAssert.MaxAbsDiff(hidden32, hidden16)}");
        Assert.True(TensorAssert.MaxAbsDiff(logits32, logits16) < LogitTolerance, $"logit max diff {TensorAssert.MaxAbsDiff(logits32, logits16)}");
        Assert.Equal(0f, hidden16[0, TensorIndex.Slice(5)].abs().max().item<float>());   // padded positions stay zero
    }

    [Fact]
    public void FrozenWeightsAreStoredInBFloat16AndBackInFloat32()
    {
        using var model = TinyModels.Classifier();
        FineTuningMethod.Lora(new LoraOptions { TargetAllLinear = true, Rank = 2 }).Apply(model);
        model.Encoder.UsePrecision(Precision.BFloat16);
        Assert.Equal(Precision.BFloat16, model.Encoder.Precision);
        foreach (var (name, p) in model.named_parameters())
        {
            bool layerNorm = name.Contains("LayerNorm", StringComparison.Ordinal), pooler = name.Contains(".pooler.", StringComparison.Ordinal);
            var expected = p.requires_grad || layerNorm || pooler ? ScalarType.Float32 : ScalarType.BFloat16;
            Assert.True(expected == p.dtype, $"{name}: {p.dtype}, expected {expected}");
        }
        var before = model.Encoder.state_dict()["embeddings.word_embeddings.weight"].to(ScalarType.Float32);
        model.Encoder.UsePrecision(Precision.Float32);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.True(TensorAssert.Identical(before, model.Encoder.state_dict()["embeddings.word_embeddings.weight"]));   // widening is exact
    }

    public static TheoryData<string> MethodNames => new() { "lora", "full", "adapters", "prefix", "last" };

    internal static FineTuningMethod MethodNamed(string name) => name switch
    {
        "lora" => FineTuningMethod.Lora(new LoraOptions { Rank = 2, Alpha = 4, TargetAllLinear = true, Dropout = 0.1 }),
        "full" => FineTuningMethod.Full,
        "adapters" => FineTuningMethod.Adapters(bottleneckSize: 4),
        "prefix" => FineTuningMethod.PrefixTuning(length: 3, hiddenSize: 8),
        "last" => FineTuningMethod.LastLayers(1),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(MethodNames))]
    public void TrainableParametersGradientsAndOptimizerStateStayFloat32(string method)
    {
        using var model = TinyModels.Classifier();
        MethodNamed(method).Apply(model);
        model.Encoder.UsePrecision(Precision.BFloat16);
        model.train();
        var (optimizer, trainable) = OptimizerFactory.Create(model, 1e-2, 0.01);
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
        var labels = tensor(new long[] { 0, 1, 2 });
        var losses = new List<float>();
        for (int step = 0; step < 3; step++)
        {
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(ids, mask), labels);
            Assert.Equal(ScalarType.Float32, loss.dtype);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        Assert.NotEmpty(trainable);
        Assert.All(trainable, p =>
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.NotNull(p.grad);
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
        });
        var states = optimizer.state_dict().State.Cast<AdamW.State>().ToList();
        Assert.Equal(trainable.Count, states.Count);
        Assert.All(states, s =>
        {
            Assert.Equal(ScalarType.Float32, s.exp_avg.dtype);
            Assert.Equal(ScalarType.Float32, s.exp_avg_sq.dtype);
        });
        Assert.True(losses[^1] < losses[0], $"losses {string.Join(" ", losses)}");
    }

    [Fact]
    public void MergedLoraScoresInBFloat16AndUnmergesExactly()
    {
        using var model = TinyModels.Classifier();
        FineTuningMethod.Lora(new LoraOptions { Rank = 2, Alpha = 4 }).Apply(model);
        using (no_grad())
            foreach (var l in model.modules().OfType<LoraLinear>()) l.LoraB.normal_(0, 0.1);   // a non-zero update
        model.eval();
        model.Encoder.UsePrecision(Precision.BFloat16);
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
        using var _ = no_grad();
        var unmerged = model.forward(ids, mask);
        foreach (var l in model.modules().OfType<LoraLinear>()) l.Merge();
        var merged = model.forward(ids, mask);
        Assert.All(model.modules().OfType<LoraLinear>(), l => Assert.True(l.Merged));
        Assert.True(TensorAssert.MaxAbsDiff(unmerged, merged) < LogitTolerance, $"max diff {TensorAssert.MaxAbsDiff(unmerged, merged)}");
        model.Encoder.UsePrecision(Precision.Float32);   // re-merges in the new type
        Assert.All(model.modules().OfType<LoraLinear>(), l => Assert.True(l.Merged && l.Weight.dtype == ScalarType.Float32));
    }
}
