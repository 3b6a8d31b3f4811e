using System.Text.Json;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Lora;

public class PeftAdapterTests
{
    private static SequenceClassificationModel TrainedLora(EncoderArchitecture arch, LoraOptions options)
    {
        var model = TinyModels.Classifier(arch);
        LoraInjector.Inject(model, options);
        using var _ = no_grad();
        foreach (var l in model.modules().OfType<LoraLinear>()) l.LoraB.normal_(0, 0.3);
        foreach (var p in model.parameters().Where(p => p.requires_grad)) p.add_(0.01);
        model.eval();
        return model;
    }

    [Theory]
    [InlineData(Architecture.Bert)]
    [InlineData(Architecture.Roberta)]
    [InlineData(Architecture.DistilBert)]
    public void SaveThenLoadGivesIdenticalOutputs(Architecture architecture)
    {
        var arch = architecture.ToEncoder();
        var options = new LoraOptions { Rank = 4, Alpha = 8 };
        using var trained = TrainedLora(arch, options);
        var (ids, mask) = TinyModels.Batch(trained.Encoder.Config);
        using var dir = new TempFolder();
        PeftAdapter.Save(trained, options, PeftTaskType.SequenceClassification, dir.Path, "tiny");
        using var fresh = TinyModels.Classifier(arch);   // same seed: same base weights, fresh head
        PeftAdapter.Load(fresh, PeftTaskType.SequenceClassification, dir.Path);
        fresh.eval();
        using var _ = no_grad();
        Assert.True(TensorAssert.Identical(trained.forward(ids, mask), fresh.forward(ids, mask)));
    }

    [Fact]
    public void WrittenFilesUsePeftKeysShapesAndConfig()
    {
        var options = new LoraOptions { Rank = 4, Alpha = 8, UseRsLora = true };
        using var trained = TrainedLora(EncoderArchitecture.Bert, options);
        using var dir = new TempFolder();
        PeftAdapter.Save(trained, options, PeftTaskType.SequenceClassification, dir.Path, "sentence-transformers/all-MiniLM-L6-v2");
        var header = SafetensorsHeader.Read(dir["adapter_model.safetensors"]);
        var expected = new Dictionary<string, long[]>
        {
            ["base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"] = new long[] { 4, 16 },
            ["base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight"] = new long[] { 16, 4 },
            ["base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight"] = new long[] { 4, 16 },
            ["base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight"] = new long[] { 16, 4 },
            ["base_model.model.classifier.weight"] = new long[] { 3, 16 },
            ["base_model.model.classifier.bias"] = new long[] { 3 },
        };
        Assert.Equal(10, header.Tensors.Count);
        Assert.Equal("pt", header.Metadata["format"]);   // transformers' safetensors loader checks it   // 2 layers × 2 modules × (A, B) + classifier weight and bias
        foreach (var (k, shape) in expected)
        {
            Assert.True(header.Tensors.ContainsKey(k), k);
            Assert.Equal(shape, header.Tensors[k].Shape);
            Assert.Equal("F32", header.Tensors[k].DType);
        }
        using var json = JsonDocument.Parse(File.ReadAllText(dir["adapter_config.json"]));
        var root = json.RootElement;
        Assert.Equal("LORA", root.GetProperty("peft_type").GetString());
        Assert.Equal("SEQ_CLS", root.GetProperty("task_type").GetString());
        Assert.Equal(4, root.GetProperty("r").GetInt32());
        Assert.Equal(8, root.GetProperty("lora_alpha").GetDouble());
        Assert.True(root.GetProperty("use_rslora").GetBoolean());
        Assert.Equal(new[] { "query", "value" }, root.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()).Order());
        Assert.Contains("classifier", root.GetProperty("modules_to_save").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", root.GetProperty("base_model_name_or_path").GetString());
    }

    [Fact]
    public void AdapterForADifferentBaseNamesTheMismatchingKey()
    {
        var options = new LoraOptions { Rank = 4 };
        using var trained = TrainedLora(EncoderArchitecture.Bert, options);
        using var dir = new TempFolder();
        PeftAdapter.Save(trained, options, PeftTaskType.SequenceClassification, dir.Path, null);
        manual_seed(3);
        var wider = TinyModels.Config(EncoderArchitecture.Bert, hidden: 24);
        using var other = new SequenceClassificationModel(EncoderModel.Create(wider, addPoolingLayer: true), 3);
        var ex = Assert.Throws<InvalidDataException>(() => PeftAdapter.Load(other, PeftTaskType.SequenceClassification, dir.Path));
        Assert.Contains("lora_", ex.Message);
        Assert.Contains("[4, 16]", ex.Message);
        Assert.Contains("[4, 24]", ex.Message);

        using var distil = TinyModels.Classifier(EncoderArchitecture.DistilBert);
        File.WriteAllText(dir["adapter_config.json"], File.ReadAllText(dir["adapter_config.json"]).Replace("\"value\"", "\"v_lin\"").Replace("\"query\"", "\"q_lin\""));
        var ex2 = Assert.Throws<InvalidDataException>(() => PeftAdapter.Load(distil, PeftTaskType.SequenceClassification, dir.Path));
        Assert.Contains("base_model.model.bert.encoder", ex2.Message);
    }

    [Fact]
    public void ConfigParsingIgnoresUnknownKeysAndRefusesWhatPeftWouldComputeDifferently()
    {
        var c = PeftAdapterConfig.Parse("{\"peft_type\":\"LORA\",\"r\":16,\"lora_alpha\":32,\"target_modules\":\".*query\",\"something_new\":[1,2],\"init_lora_weights\":\"gaussian\"}");
        Assert.Equal(16, c.R);
        Assert.Equal(".*query", c.TargetModulesRegex);
        Assert.Equal(LoraInit.Gaussian, c.InitLoraWeights);
        Assert.Equal(new[] { "something_new" }, c.IgnoredKeys);
        Assert.True(PeftAdapterConfig.Parse("{\"peft_type\":\"LORA\",\"use_dora\":true}").UseDora);
        Assert.Contains("IA3", Assert.Throws<InvalidDataException>(() => PeftAdapterConfig.Parse("{\"peft_type\":\"IA3\"}")).Message);
    }
}
