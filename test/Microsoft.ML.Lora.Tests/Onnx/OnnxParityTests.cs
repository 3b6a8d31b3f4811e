using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Onnx;
using Xunit;
using static Microsoft.ML.Lora.Tests.Onnx.ExportTestModels;

namespace Microsoft.ML.Lora.Tests.Onnx;

/// <summary>An exported tiny model scored by ONNX Runtime gives the library's logits on padded, ragged batches.</summary>
public class OnnxParityTests
{
    private const float Tolerance = 1e-4f;

    public static TheoryData<Architecture, Head, string> Cases()
    {
        var data = new TheoryData<Architecture, Head, string>();
        foreach (var arch in Enum.GetValues<Architecture>())
            foreach (var head in Enum.GetValues<Head>())
                foreach (var method in new[] { "none", "lora", "adapters", "prefix" })
                    data.Add(arch, head, method);
        return data;
    }

    private static float ExportAndCompare(TaskModel model)
    {
        var c = model.Encoder.Config;
        var (ids, mask, types) = RaggedBatch(c);
        var expected = LibraryLogits(model, ids, mask, types, 4, 7);
        var actual = OrtRunner.Run(OnnxModelBuilder.Build(model, OnnxHead(model), "test"), ids, mask, types, 4, 7);
        Assert.Equal(expected.Length, actual.Length);
        return MaxDiff(expected, actual, mask, model.NumLabels, model is TokenClassificationModel);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxRuntimeGivesTheLibrarysLogits(Architecture arch, Head head, string method)
    {
        using var model = Create(arch.ToEncoder(), head, method);
        float diff = ExportAndCompare(model);
        Assert.True(diff <= Tolerance, $"{arch} {head} {method}: max |Δlogit| {diff}");
    }

    [Theory]
    [InlineData(Architecture.Bert, "gelu_new")]
    [InlineData(Architecture.Roberta, "gelu_pytorch_tanh")]
    [InlineData(Architecture.DistilBert, "relu")]
    public void EveryActivationIsWrittenAsTheLibraryComputesIt(Architecture arch, string hiddenAct)
    {
        using var model = Create(arch.ToEncoder(), Head.Token, hiddenAct: hiddenAct);
        float diff = ExportAndCompare(model);
        Assert.True(diff <= Tolerance, $"{arch} {hiddenAct}: max |Δlogit| {diff}");
    }

    [Theory]
    [InlineData("adapters-relu")]
    [InlineData("prefix-plain")]
    public void MethodVariantsExportToo(string method)
    {
        using var model = Create(EncoderArchitecture.Bert, Head.Sequence, method);
        float diff = ExportAndCompare(model);
        Assert.True(diff <= Tolerance, $"{method}: max |Δlogit| {diff}");
    }

    [Fact]
    public void UnmergedLoraIsFoldedIntoTheWeights()
    {
        using var model = Create(EncoderArchitecture.Bert, Head.Sequence, "lora");
        var (ids, mask, types) = RaggedBatch(model.Encoder.Config);
        var merged = LibraryLogits(model, ids, mask, types, 4, 7);
        foreach (var l in model.modules().OfType<LoraLinear>()) l.Unmerge();
        var onnx = OrtRunner.Run(OnnxModelBuilder.Build(model, OnnxHead(model), "test"), ids, mask, types, 4, 7);
        Assert.True(MaxDiff(merged, onnx, mask, 3, perToken: false) <= Tolerance);
    }

    [Fact]
    public void TheGraphHasDynamicAxesAndNamedInputs()
    {
        using var model = Create(EncoderArchitecture.Bert, Head.Token);
        var graph = OnnxModelBuilder.Build(model, OnnxHead(model), "test").Graph;
        Assert.Equal(new[] { "input_ids", "attention_mask", "token_type_ids" }, graph.Input.Select(i => i.Name));
        Assert.All(graph.Input, i => Assert.Equal(new[] { "batch", "sequence" }, i.Type.TensorType.Shape.Dim.Select(d => d.DimParam)));
        var logits = Assert.Single(graph.Output);
        Assert.Equal("logits", logits.Name);
        Assert.Equal(new[] { "batch", "sequence", "" }, logits.Type.TensorType.Shape.Dim.Select(d => d.DimParam));
        Assert.Equal(5, logits.Type.TensorType.Shape.Dim[2].DimValue);
        // Initializers keep the Hugging Face names; LoRA-free weights are stored transposed for MatMul.
        Assert.Contains(graph.Initializer, t => t.Name == "bert.encoder.layer.1.attention.self.query.weight_t");
        Assert.Contains(graph.Initializer, t => t.Name == "bert.embeddings.LayerNorm.weight");
    }

    [Theory]
    [InlineData(Architecture.Roberta)]
    [InlineData(Architecture.DistilBert)]
    public void ModelsWithoutTokenTypesTakeNoTokenTypeIds(Architecture arch)
    {
        using var model = Create(arch.ToEncoder(), Head.Sequence);
        var graph = OnnxModelBuilder.Build(model, OnnxHead(model), "test").Graph;
        Assert.Equal(new[] { "input_ids", "attention_mask" }, graph.Input.Select(i => i.Name));
    }

    [Fact]
    public void AnUnknownModuleInAProjectionSlotIsRefusedByName()
    {
        using var model = Create(EncoderArchitecture.Bert, Head.Sequence);
        var self = (NamedModule)model.named_modules().Single(m => m.name == "bert.encoder.layer.0.attention.self").module;
        self.ReplaceChild("query", TorchSharp.torch.nn.Identity());
        var e = Assert.Throws<NotSupportedException>(() => OnnxModelBuilder.Build(model, OnnxHead(model), "test"));
        Assert.Contains("'bert.encoder.layer.0.attention.self.query'", e.Message);
        Assert.Contains("Identity", e.Message);
    }
}
