using Microsoft.ML.Lora.Checkpoints;
using Onnx;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Checkpoints;

public class OnnxBertConverterTests
{
    private const int Hidden = 384, Intermediate = 1536, Layers = 6;

    public static TheoryData<string, long[]> ExpectedTensors()
    {
        var data = new TheoryData<string, long[]>
        {
            { "embeddings.word_embeddings.weight", [30522, Hidden] },
            { "embeddings.position_embeddings.weight", [512, Hidden] },
            { "embeddings.token_type_embeddings.weight", [2, Hidden] },
            { "embeddings.LayerNorm.weight", [Hidden] },
            { "embeddings.LayerNorm.bias", [Hidden] },
            { "pooler.dense.weight", [Hidden, Hidden] },
            { "pooler.dense.bias", [Hidden] },
        };
        for (int i = 0; i < Layers; i++)
        {
            string p = $"encoder.layer.{i}";
            foreach (string qkv in new[] { "query", "key", "value" })
            {
                data.Add($"{p}.attention.self.{qkv}.weight", [Hidden, Hidden]);
                data.Add($"{p}.attention.self.{qkv}.bias", [Hidden]);
            }
            data.Add($"{p}.attention.output.dense.weight", [Hidden, Hidden]);
            data.Add($"{p}.attention.output.dense.bias", [Hidden]);
            data.Add($"{p}.attention.output.LayerNorm.weight", [Hidden]);
            data.Add($"{p}.attention.output.LayerNorm.bias", [Hidden]);
            data.Add($"{p}.intermediate.dense.weight", [Intermediate, Hidden]);
            data.Add($"{p}.intermediate.dense.bias", [Intermediate]);
            data.Add($"{p}.output.dense.weight", [Hidden, Intermediate]);
            data.Add($"{p}.output.dense.bias", [Hidden]);
            data.Add($"{p}.output.LayerNorm.weight", [Hidden]);
            data.Add($"{p}.output.LayerNorm.bias", [Hidden]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ExpectedTensors))]
    public void EveryBertModelTensor_HasItsHuggingFaceShape(string name, long[] shape)
    {
        Assert.Equal(shape, MiniLmTestAssets.Checkpoint[name].Shape);
    }

    [Fact]
    public void Checkpoint_HasExactlyTheBertModelStateDict()
    {
        var expected = ExpectedTensors().Select(row => (string)row[0]).Order(StringComparer.Ordinal);
        var actual = MiniLmTestAssets.Checkpoint.Tensors.Select(t => t.Key).Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Dimensions_AreThoseOfAllMiniLmL6V2()
    {
        Assert.Equal(
            new BertDimensions(VocabSize: 30522, HiddenSize: 384, NumHiddenLayers: 6, NumAttentionHeads: 12, IntermediateSize: 1536,
                MaxPositionEmbeddings: 512, TypeVocabSize: 2, LayerNormEps: 1e-12, HiddenAct: "gelu"),
            MiniLmTestAssets.Checkpoint.Dimensions);
    }

    [Theory]
    [InlineData("embeddings.word_embeddings.weight")]
    [InlineData("embeddings.position_embeddings.weight")]
    [InlineData("embeddings.LayerNorm.bias")]
    [InlineData("encoder.layer.3.attention.self.value.bias")]
    [InlineData("encoder.layer.5.output.LayerNorm.weight")]
    [InlineData("pooler.dense.weight")] // used by Gemm with transB=1: already [out, in]
    public void NamedInitializers_AreCopiedUnchanged(string name)
    {
        Assert.Equal(MiniLmTestAssets.InitializerValues(name), MiniLmTestAssets.Checkpoint[name].Values);
    }

    // The anonymous MatMul operands of this particular export, read off its graph by hand (MatMul_34 feeds Add_35
    // with the query bias, and so on); the converter finds them by following the graph instead.
    [Theory]
    [InlineData("encoder.layer.0.attention.self.query.weight", "927")]
    [InlineData("encoder.layer.0.attention.self.key.weight", "928")]
    [InlineData("encoder.layer.0.attention.self.value.weight", "931")]
    [InlineData("encoder.layer.0.attention.output.dense.weight", "937")]
    [InlineData("encoder.layer.0.intermediate.dense.weight", "938")]
    [InlineData("encoder.layer.0.output.dense.weight", "939")]
    [InlineData("encoder.layer.1.attention.self.query.weight", "940")]
    [InlineData("encoder.layer.5.output.dense.weight", "1004")]
    public void LinearWeights_AreTheTransposedMatMulInitializers(string name, string onnxInitializer)
    {
        var onnx = MiniLmTestAssets.Initializer(onnxInitializer);
        var matrix = new FloatTensorData([.. onnx.Dims], MiniLmTestAssets.InitializerValues(onnxInitializer));
        var converted = MiniLmTestAssets.Checkpoint[name];

        Assert.Equal([matrix.Shape[1], matrix.Shape[0]], converted.Shape);
        int rows = (int)matrix.Shape[0], cols = (int)matrix.Shape[1];
        // A few explicit entries, so the check does not rest on Transpose2D alone.
        foreach (var (r, c) in new[] { (0, 0), (0, cols - 1), (rows - 1, 0), (rows / 2, cols / 3), (rows - 1, cols - 1) })
            Assert.Equal(matrix.Values[r * cols + c], converted.Values[c * rows + r]);
        Assert.Equal(matrix.Transpose2D().Values, converted.Values);
    }

    [Fact]
    public void MissingBias_NamesTheHuggingFaceTensorThatCannotBeFound()
    {
        var model = MiniLmTestAssets.Onnx.Clone();
        var bias = model.Graph.Initializer.Single(t => t.Name == "encoder.layer.3.attention.self.key.bias");
        model.Graph.Initializer.Remove(bias);

        var error = Assert.Throws<InvalidDataException>(() => OnnxBertConverter.Convert(model, "mutated.onnx"));

        Assert.Contains("mutated.onnx", error.Message);
        Assert.Contains("'encoder.layer.3.attention.self.key.weight'", error.Message);
    }

    [Fact]
    public void BiasNotAddedToAMatMul_NamesTheHuggingFaceTensorThatCannotBeFound()
    {
        var model = MiniLmTestAssets.Onnx.Clone();
        // Make the Add that adds layer 2's intermediate bias take the attention LayerNorm output directly.
        var add = model.Graph.Node.Single(n => n.OpType == "Add" && n.Input.Contains("encoder.layer.2.intermediate.dense.bias"));
        int product = add.Input[0] == "encoder.layer.2.intermediate.dense.bias" ? 1 : 0;
        var matMul = model.Graph.Node.Single(n => n.Output.Contains(add.Input[product]));
        Assert.Equal("MatMul", matMul.OpType);
        add.Input[product] = matMul.Input[0];

        var error = Assert.Throws<InvalidDataException>(() => OnnxBertConverter.Convert(model, "mutated.onnx"));

        Assert.Contains("'encoder.layer.2.intermediate.dense.weight'", error.Message);
        Assert.Contains("not a MatMul", error.Message);
    }

    [Fact]
    public void UnclaimedWeightMatrix_IsRejectedRatherThanSilentlyDropped()
    {
        var model = MiniLmTestAssets.Onnx.Clone();
        var extra = new TensorProto { Name = "stray_matrix", DataType = (int)TensorProto.Types.DataType.Float };
        extra.Dims.Add(2);
        extra.Dims.Add(2);
        extra.FloatData.Add([1f, 2f, 3f, 4f]);
        model.Graph.Initializer.Add(extra);

        var error = Assert.Throws<InvalidDataException>(() => OnnxBertConverter.Convert(model, "mutated.onnx"));

        Assert.Contains("'stray_matrix'", error.Message);
    }

    [Fact]
    public void Transpose2D_SwapsRowsAndColumns()
    {
        var matrix = new FloatTensorData([2, 3], [1, 2, 3, 4, 5, 6]);

        var transposed = matrix.Transpose2D();

        Assert.Equal([3L, 2L], transposed.Shape);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], transposed.Values);
    }

    [Fact]
    public void ConfigJson_IsAHuggingFaceBertConfig()
    {
        using var json = System.Text.Json.JsonDocument.Parse(MiniLmTestAssets.Checkpoint.Dimensions.ToHuggingFaceConfigJson());
        var root = json.RootElement;

        Assert.Equal("bert", root.GetProperty("model_type").GetString());
        Assert.Equal("BertModel", root.GetProperty("architectures")[0].GetString());
        Assert.Equal(1e-12, root.GetProperty("layer_norm_eps").GetDouble());
        Assert.Equal("1e-12", root.GetProperty("layer_norm_eps").GetRawText().ToLowerInvariant());
        Assert.Equal(12, root.GetProperty("num_attention_heads").GetInt32());
        Assert.Equal(0, root.GetProperty("pad_token_id").GetInt32());
        Assert.Equal(0.1, root.GetProperty("hidden_dropout_prob").GetDouble());
        Assert.Equal(0.1, root.GetProperty("attention_probs_dropout_prob").GetDouble());
    }
}
