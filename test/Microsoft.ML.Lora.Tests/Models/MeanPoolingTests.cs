using Microsoft.ML.Lora.Models;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Models;

/// <summary>A sequence head on the mean of the tokens: sentence-transformers' mean pooling, with no pooler.</summary>
public class MeanPoolingTests
{
    [Theory]
    [MemberData(nameof(FirstTokenEncodingTests.Architectures), MemberType = typeof(FirstTokenEncodingTests))]
    public void EncodeMeanIsTheMeanOfTheRealTokensLastHiddenStates(Architecture architecture)
    {
        manual_seed(1);
        var c = TinyModels.Config(architecture.ToEncoder());
        using var encoder = EncoderModel.Create(c, addPoolingLayer: false);
        encoder.eval();
        var (ids, mask) = TinyModels.Batch(c, batch: 3, length: 7, pad: 3);   // row 0 has 4 real tokens
        using var _ = no_grad();
        var hidden = encoder.Encode(ids, mask);
        var mean = encoder.EncodeMean(ids, mask);
        Assert.Equal(new long[] { 3, c.HiddenSize }, mean.shape);
        var row0 = hidden[0, TensorIndex.Slice(0, 4)].mean(new long[] { 0 });
        var row1 = hidden[1].mean(new long[] { 0 });
        Assert.True(TensorAssert.MaxAbsDiff(row0, mean[0]) < 1e-5, $"padded row: max diff {TensorAssert.MaxAbsDiff(row0, mean[0])}");
        Assert.True(TensorAssert.MaxAbsDiff(row1, mean[1]) < 1e-5, $"full row: max diff {TensorAssert.MaxAbsDiff(row1, mean[1])}");
    }

    [Fact]
    public void BertsMeanPooledHeadIsTheClassifierOnTheMeanWithNoPooler()
    {
        manual_seed(1);
        var c = TinyModels.Config(EncoderArchitecture.Bert);
        using var model = new SequenceClassificationModel(EncoderModel.Create(c, addPoolingLayer: false), 1, pooling: TokenPooling.Mean);
        model.eval();
        Assert.Equal(new[] { "classifier" }, model.HeadModules);
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("pooler"));
        var (ids, mask) = TinyModels.Batch(c);
        using var _ = no_grad();
        var expected = nn.functional.linear(model.Encoder.EncodeMean(ids, mask), model.state_dict()["classifier.weight"], model.state_dict()["classifier.bias"]);
        Assert.True(TensorAssert.MaxAbsDiff(expected, model.forward(ids, mask)) < 1e-6);

        var e = Assert.Throws<ArgumentException>(() => new SequenceClassificationModel(EncoderModel.Create(c, addPoolingLayer: true), 1, pooling: TokenPooling.Mean));
        Assert.Contains("reads no pooler", e.Message);
    }
}
