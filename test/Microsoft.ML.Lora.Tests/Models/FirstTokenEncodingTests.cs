using Microsoft.ML.Lora.Models;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Models;

/// <summary>The classifier's shortcut (last layer computed for the first token only) must be the same function as the full encoder.</summary>
public class FirstTokenEncodingTests
{
    public static TheoryData<Architecture> Architectures => new(Enum.GetValues<Architecture>());

    private static (Tensor Ids, Tensor Mask) RaggedBatch(EncoderConfig c)
    {
        // Rows of lengths 7, 3, 5 and 1: padded and unpadded rows, and a one-token row.
        var (ids, mask) = TinyModels.Batch(c, batch: 4, length: 7, pad: 0, seed: 11);
        int[] lengths = { 7, 3, 5, 1 };
        for (int r = 0; r < lengths.Length; r++)
        {
            ids[r, TensorIndex.Slice(lengths[r])] = c.PadTokenId;
            mask[r, TensorIndex.Slice(lengths[r])] = 0;
        }
        return (ids, mask);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void FirstTokenEqualsFullEncodingAtPositionZero(Architecture architecture)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch);
        model.eval();
        var (ids, mask) = RaggedBatch(model.Encoder.Config);
        using var _ = no_grad();
        var full = model.Encoder.Encode(ids, mask)[.., 0];
        var first = model.Encoder.EncodeFirstToken(ids, mask);
        Assert.Equal(new long[] { 4, 16 }, first.shape);
        Assert.True(TensorAssert.MaxAbsDiff(full, first) < 1e-5, $"max diff {TensorAssert.MaxAbsDiff(full, first)}");
    }

    [Theory]
    [InlineData(Architecture.Bert)]
    [InlineData(Architecture.DistilBert)]
    public void UnpaddedBatchAndLeftPaddingGiveTheSameAsFullEncoding(Architecture architecture)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch);
        model.eval();
        var c = model.Encoder.Config;
        var (ids, mask) = TinyModels.Batch(c, batch: 2, length: 6, pad: 0);
        var leftMask = mask.clone();
        leftMask[1, TensorIndex.Slice(0, 2)] = 0;   // position 0 padded: the shortcut must not be taken
        using var _ = no_grad();
        foreach (var m in new[] { mask, leftMask })
        {
            var full = model.Encoder.Encode(ids, m)[.., 0];
            var first = model.Encoder.EncodeFirstToken(ids, m);
            Assert.True(TensorAssert.MaxAbsDiff(full, first) < 1e-5, $"max diff {TensorAssert.MaxAbsDiff(full, first)}");
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void GradientsEqualThoseOfTheFullEncoding(Architecture architecture)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch);
        model.eval();   // no dropout: both paths must be the same function
        var (ids, mask) = RaggedBatch(model.Encoder.Config);
        var weights = randn(4, 16, generator: new TorchSharp.torch.Generator(3));
        Dictionary<string, Tensor> Gradients(Func<Tensor> firstToken)
        {
            model.zero_grad();
            (firstToken() * weights).sum().backward();
            return model.Encoder.named_parameters().Where(p => p.parameter.grad is not null).ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        }
        var full = Gradients(() => model.Encoder.Encode(ids, mask)[.., 0]);
        var first = Gradients(() => model.Encoder.EncodeFirstToken(ids, mask));
        Assert.Contains(full.Keys, k => k.Contains("layer.0.") && (k.Contains("query") || k.Contains("q_lin")));
        Assert.Equal(full.Keys.OrderBy(k => k), first.Keys.OrderBy(k => k));
        foreach (var (name, g) in full)
            // Float sums over many positions (embedding gradients) reorder: relative tolerance, as torch.allclose.
            Assert.True(g.allclose(first[name], rtol: 1e-4, atol: 1e-5), $"{name}: max diff {TensorAssert.MaxAbsDiff(g, first[name])}");
    }

    private sealed class RandomPrefix : IAttentionPrefix
    {
        private readonly Tensor keys = randn(2, 2, 3, 8, generator: new TorchSharp.torch.Generator(7));   // [layers, heads, Length, head_dim]
        public int Length => 3;
        public (Tensor Key, Tensor Value) KeysAndValues(int layer, long batchSize)
        {
            var kv = keys[layer].unsqueeze(0).expand(batchSize, -1, -1, -1);
            return (kv, kv * 0.5);
        }
    }

    [Fact]
    public void PrefixKeysAndValuesAreSeenByTheFirstTokenToo()
    {
        using var model = TinyModels.Classifier(EncoderArchitecture.Bert);
        model.eval();
        var (ids, mask) = RaggedBatch(model.Encoder.Config);
        using var _ = no_grad();
        var without = model.Encoder.EncodeFirstToken(ids, mask);
        model.Encoder.Prefix = new RandomPrefix();
        var full = model.Encoder.Encode(ids, mask)[.., 0];
        var first = model.Encoder.EncodeFirstToken(ids, mask);
        Assert.True(TensorAssert.MaxAbsDiff(full, first) < 1e-5, $"max diff {TensorAssert.MaxAbsDiff(full, first)}");
        Assert.True(TensorAssert.MaxAbsDiff(without, first) > 1e-3, "the prefix had no effect");
    }
}
