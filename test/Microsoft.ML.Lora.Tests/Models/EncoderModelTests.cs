using Microsoft.ML.Lora.Models;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Models;

public class EncoderModelTests
{
    [Theory]
    [InlineData(Architecture.Bert, "bert.encoder.layer.1.attention.self.query.weight", "bert.pooler.dense.weight", "classifier.weight")]
    [InlineData(Architecture.Roberta, "roberta.encoder.layer.1.output.LayerNorm.bias", "classifier.dense.weight", "classifier.out_proj.weight")]
    [InlineData(Architecture.DistilBert, "distilbert.transformer.layer.1.attention.q_lin.weight", "distilbert.transformer.layer.0.ffn.lin2.bias", "pre_classifier.weight")]
    public void StateDictKeysAreHuggingFaceNames(Architecture architecture, params string[] expectedKeys)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch);
        var keys = model.state_dict().Keys.ToHashSet();
        foreach (var k in expectedKeys) Assert.Contains(k, keys);
        Assert.DoesNotContain(keys, k => k.Contains("context") || k.Contains("Prefix"));
    }

    [Fact]
    public void BertKeysAreExactlyTheHuggingFaceSet()
    {
        using var model = TinyModels.Classifier(EncoderArchitecture.Bert);
        var expected = new List<string> { "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
            "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias" };
        for (int i = 0; i < 2; i++)
            foreach (var m in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                         "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm" })
                expected.AddRange(new[] { $"encoder.layer.{i}.{m}.weight", $"encoder.layer.{i}.{m}.bias" });
        expected.AddRange(new[] { "pooler.dense.weight", "pooler.dense.bias" });
        var actual = model.state_dict().Keys.Where(k => k.StartsWith("bert.")).Select(k => k["bert.".Length..]).OrderBy(k => k).ToList();
        Assert.Equal(expected.OrderBy(k => k), actual);
    }

    [Theory]
    [InlineData(Architecture.Bert)]
    [InlineData(Architecture.Roberta)]
    [InlineData(Architecture.DistilBert)]
    public void PaddingDoesNotChangeRealTokens(Architecture architecture)
    {
        var arch = architecture.ToEncoder();
        using var model = TinyModels.Classifier(arch);
        model.eval();
        var c = model.Encoder.Config;
        var (ids, mask) = TinyModels.Batch(c, batch: 1, length: 5, pad: 0);
        var padded = cat(new[] { ids, full(1, 3, c.PadTokenId, dtype: ScalarType.Int64) }, 1);
        var paddedMask = cat(new[] { mask, zeros(1, 3, dtype: ScalarType.Int64) }, 1);
        using var _ = no_grad();
        var a = model.Encoder.Encode(ids, mask);
        var b = model.Encoder.Encode(padded, paddedMask)[.., ..5];
        Assert.True(a.allclose(b, rtol: 0, atol: 1e-5), $"max diff {(a - b).abs().max().item<float>()}");
        Assert.Equal(new long[] { 1, 3 }, model.forward(ids, mask).shape);
    }

    [Fact]
    public void EncodeRejectsMismatchedShapesBeforeNativeCode()
    {
        using var model = TinyModels.Classifier();
        var ex = Assert.Throws<ArgumentException>(() => model.Encoder.Encode(zeros(2, 5, dtype: ScalarType.Int64), ones(2, 4, dtype: ScalarType.Int64)));
        Assert.Contains("[2, 4]", ex.Message);
        Assert.Throws<ArgumentException>(() => model.Encoder.Encode(zeros(1, 65, dtype: ScalarType.Int64), ones(1, 65, dtype: ScalarType.Int64)));
    }

    [Fact]
    public void ConfigRoundTripsThroughHuggingFaceJson()
    {
        foreach (var arch in Enum.GetValues<EncoderArchitecture>())
        {
            var c = TinyModels.Config(arch);
            Assert.Equal(c, EncoderConfig.Parse(c.ToJson()));
        }
        var ex = Assert.Throws<InvalidDataException>(() => EncoderConfig.Parse("{\"model_type\":\"gpt2\"}", "x/config.json"));
        Assert.Contains("x/config.json", ex.Message);
        Assert.Contains("gpt2", ex.Message);
    }
}
