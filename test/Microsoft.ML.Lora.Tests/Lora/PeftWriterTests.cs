using System.Text.Json;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Lora;

/// <summary>
/// Adapters this library writes are read by PEFT as meant: PEFT's rules applied to the written config adapt exactly the
/// layers that were adapted and train exactly the modules that were trained; names stay whole; the base, the version and the
/// label names are where Python looks for them; every feature survives a save and load.
/// </summary>
public class PeftWriterTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static SequenceClassificationModel Trained(LoraOptions options, EncoderArchitecture arch = EncoderArchitecture.Bert, bool poolerIsHead = false, long seed = 1)
    {
        manual_seed(seed);
        var c = TinyModels.Config(arch);
        var model = new SequenceClassificationModel(EncoderModel.Create(c, addPoolingLayer: arch == EncoderArchitecture.Bert), 3, poolerIsHead);
        LoraInjector.Inject(model, options);
        using var _ = no_grad();
        foreach (var l in model.modules().OfType<LoraLinear>())
        {
            l.LoraB.normal_(0, 0.3);
            l.LoraBBias?.normal_(0, 0.3);
            l.MagnitudeVector?.mul_(1.3);
        }
        foreach (var p in model.parameters().Where(p => p.requires_grad)) p.add_(0.01);
        model.eval();
        return model;
    }

    private static JsonElement Config(string folder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json"))).RootElement;

    private static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();

    /// <summary>What PEFT adapts and trains when it applies the written config to a fresh model of the same architecture.</summary>
    private static (IReadOnlyList<string> Adapted, IReadOnlyList<string> Saved) AsPeftReadsIt(string folder, EncoderArchitecture arch, bool poolerIsHead)
    {
        var options = PeftAdapter.ReadConfig(folder).ToLoraOptions();
        manual_seed(9);
        var c = TinyModels.Config(arch);
        using var fresh = new SequenceClassificationModel(EncoderModel.Create(c, addPoolingLayer: arch == EncoderArchitecture.Bert), 3, poolerIsHead: false);
        // PEFT's model has only its own head implied; anything else it trains must come from modules_to_save.
        return (LoraInjector.TargetNames(fresh, options), LoraInjector.TrainableModules(fresh, options.ModulesToSave));
    }

    public static TheoryData<string> Features => new() { "plain", "all-linear+pooler", "dora", "lora-bias", "patterns", "exclude", "layers", "all-linear+layers", "regex", "rslora+gaussian", "dotted-modules-to-save" };

    private static (LoraOptions Options, EncoderArchitecture Arch, bool Pooler) Setup(string feature) => feature switch
    {
        "all-linear+pooler" => (new LoraOptions { Rank = 2, TargetAllLinear = true }, EncoderArchitecture.Bert, true),
        "dora" => (new LoraOptions { Rank = 2, UseDora = true, TargetModules = new[] { "query", "key", "value" } }, EncoderArchitecture.Roberta, false),
        "lora-bias" => (new LoraOptions { Rank = 2, LoraBias = true, TargetModules = new[] { "q_lin", "lin2" } }, EncoderArchitecture.DistilBert, false),
        "patterns" => (new LoraOptions
        {
            Rank = 2, RankPattern = new Dictionary<string, int> { ["layer.1.attention.self.value"] = 4 },
            AlphaPattern = new Dictionary<string, double> { ["query"] = 3 },
        }, EncoderArchitecture.Bert, false),
        "exclude" => (new LoraOptions { Rank = 2, TargetAllLinear = true, ExcludeModules = new[] { "output.dense", "pooler.dense" } }, EncoderArchitecture.Bert, false),
        "layers" => (new LoraOptions { Rank = 2, LayersToTransform = new[] { 1 }, LayersPattern = new[] { "layer" } }, EncoderArchitecture.Bert, false),
        "all-linear+layers" => (new LoraOptions { Rank = 2, TargetAllLinear = true, LayersToTransform = new[] { 0 } }, EncoderArchitecture.DistilBert, false),
        "regex" => (new LoraOptions { Rank = 2, TargetModulesRegex = @".*layer\.1\..*(query|value)" }, EncoderArchitecture.Bert, false),
        "rslora+gaussian" => (new LoraOptions { Rank = 4, Alpha = 2, UseRsLora = true, Init = LoraInit.Gaussian }, EncoderArchitecture.Bert, false),
        "dotted-modules-to-save" => (new LoraOptions { Rank = 2, ModulesToSave = new[] { "attention.output.LayerNorm" } }, EncoderArchitecture.Bert, false),
        _ => (new LoraOptions { Rank = 4, Alpha = 8 }, EncoderArchitecture.Bert, false),
    };

    [Theory]
    [MemberData(nameof(Features))]
    public void PeftsRulesOnTheWrittenConfigSelectWhatWasAdaptedAndTrained(string feature)
    {
        var (options, arch, pooler) = Setup(feature);
        using var model = Trained(options, arch, pooler);
        var folder = temp[feature];
        PeftAdapter.Save(model, options, PeftTaskType.SequenceClassification, folder, "org/base");
        var adapted = model.named_modules().Where(m => m.module is LoraLinear).Select(m => m.name).ToHashSet();
        var saved = LoraInjector.TrainableModules(model, options.ModulesToSave).ToHashSet();
        var (peftAdapted, peftSaved) = AsPeftReadsIt(folder, arch, pooler);
        Assert.True(adapted.SetEquals(peftAdapted), $"adapted [{string.Join(", ", adapted)}], PEFT would adapt [{string.Join(", ", peftAdapted)}]");
        Assert.True(saved.SetEquals(peftSaved), $"trained [{string.Join(", ", saved)}], PEFT would train [{string.Join(", ", peftSaved)}]");
        // Every tensor written is one PEFT loads: LoRA's of adapted layers, and those of trained modules.
        foreach (var key in SafetensorsHeader.Read(Path.Combine(folder, PeftAdapter.WeightsFileName)).Tensors.Keys)
        {
            string name = key[PeftTaskType.KeyPrefix.Length..];
            Assert.True(adapted.Any(a => name.StartsWith(a + ".lora_", StringComparison.Ordinal)) || saved.Any(s => name.StartsWith(s + ".", StringComparison.Ordinal)), key);
        }

        // And it loads back into the same outputs.
        manual_seed(1);
        var c = TinyModels.Config(arch);
        using var fresh = new SequenceClassificationModel(EncoderModel.Create(c, addPoolingLayer: arch == EncoderArchitecture.Bert), 3, pooler);
        PeftAdapter.Load(fresh, PeftTaskType.SequenceClassification, folder);
        fresh.eval();
        var (ids, mask) = TinyModels.Batch(c);
        using var _ = no_grad();
        Assert.True(TensorAssert.Identical(model.forward(ids, mask), fresh.forward(ids, mask)));
    }

    [Fact]
    public void AllLinearWithATrainedPoolerPutsNoLoraInThePooler()
    {
        var options = new LoraOptions { Rank = 2, TargetAllLinear = true };
        using var model = Trained(options, poolerIsHead: true);
        PeftAdapter.Save(model, options, PeftTaskType.SequenceClassification, temp["a"], null);
        var keys = SafetensorsHeader.Read(temp["a/adapter_model.safetensors"]).Tensors.Keys.ToList();
        Assert.DoesNotContain(keys, k => k.Contains("pooler.dense.lora_", StringComparison.Ordinal));
        Assert.Contains("base_model.model.bert.pooler.dense.weight", keys);
        var root = Config(temp["a"]);
        Assert.Equal(new[] { "pooler", "classifier", "score" }, Strings(root.GetProperty("modules_to_save")));
        Assert.Equal(new[] { "dense", "key", "query", "value" }, Strings(root.GetProperty("target_modules")));
    }

    [Fact]
    public void DottedModulesToSaveStayWholeAndTheLibraryReloadsItsOwnAdapter()
    {
        var options = new LoraOptions { Rank = 2, ModulesToSave = new[] { "attention.output.LayerNorm", "attention.output.LayerNorm" } };
        using var model = Trained(options);
        PeftAdapter.Save(model, options, PeftTaskType.SequenceClassification, temp["d"], null);
        Assert.Equal(new[] { "attention.output.LayerNorm", "classifier", "score" }, Strings(Config(temp["d"]).GetProperty("modules_to_save")));
        var keys = SafetensorsHeader.Read(temp["d/adapter_model.safetensors"]).Tensors.Keys.ToList();
        Assert.Contains("base_model.model.bert.encoder.layer.1.attention.output.LayerNorm.weight", keys);
        Assert.DoesNotContain(keys, k => k.Contains("embeddings.LayerNorm", StringComparison.Ordinal));   // "LayerNorm" alone would select those too
    }

    [Fact]
    public void AllLinearWithLayersIsWrittenAsNamesPeftAccepts()
    {
        // PEFT refuses "all-linear" with layers_to_transform; the same selection written as the layers' names it accepts.
        var options = new LoraOptions { Rank = 2, TargetAllLinear = true, LayersToTransform = new[] { 1 } };
        using var model = Trained(options);
        PeftAdapter.Save(model, options, PeftTaskType.SequenceClassification, temp["x"], null);
        var root = Config(temp["x"]);
        Assert.Equal(new[] { "dense", "key", "query", "value" }, Strings(root.GetProperty("target_modules")));
        Assert.Equal(new[] { 1 }, root.GetProperty("layers_to_transform").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(6, AsPeftReadsIt(temp["x"], EncoderArchitecture.Bert, false).Adapted.Count);
    }

    [Fact]
    public void ExactNamesAreWrittenWhenTheOptionsFormWouldSelectOtherModules()
    {
        var options = new LoraOptions { Rank = 2 };
        using var model = Trained(options);
        var adapted = model.named_modules().Where(m => m.module is LoraLinear).Select(m => m.name).Skip(1).ToList();   // say one was not adapted
        var config = PeftAdapterWriting.Config(model, options, PeftTaskType.SequenceClassification, adapted, LoraInjector.TrainableModules(model, null));
        Assert.Null(config.TargetModulesRegex);
        Assert.Equal(adapted.Order(StringComparer.Ordinal), config.TargetModules);   // ["query", "value"] would select all four
        Assert.Null(config.LayersToTransform);
    }

    [Fact]
    public void BaseVersionAndLabelNamesAreWhereHuggingFaceLooks()
    {
        var options = new LoraOptions { Rank = 2 };
        using var model = Trained(options);
        PeftAdapter.Save(model, options, PeftTaskType.SequenceClassification, temp["b"], "ProsusAI/finbert", new[] { "positive", "negative", "neutral" });
        var root = Config(temp["b"]);
        Assert.Equal("ProsusAI/finbert", root.GetProperty("base_model_name_or_path").GetString());
        Assert.Equal(PeftAdapterConfig.FormatVersion, root.GetProperty("peft_version").GetString());
        Assert.False(root.GetProperty("lora_bias").GetBoolean());
        using var hf = JsonDocument.Parse(File.ReadAllText(temp["b/config.json"]));
        Assert.Equal("BertForSequenceClassification", hf.RootElement.GetProperty("architectures")[0].GetString());
        Assert.Equal("negative", hf.RootElement.GetProperty("id2label").GetProperty("1").GetString());
        Assert.Equal(2, hf.RootElement.GetProperty("label2id").GetProperty("neutral").GetInt32());
        Assert.Equal(new[] { "positive", "negative", "neutral" }, HuggingFaceModelConfig.Read(temp["b/config.json"])!.Value.Labels);
    }

    [Fact]
    public void TheBaseIdIsTheHuggingFaceIdOfTheBase()
    {
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", PretrainedModel.MiniLmL6V2.HuggingFaceId);
        var folder = Directory.CreateDirectory(temp["models/my-finbert"]).FullName;
        Assert.Equal("my-finbert", PretrainedModel.FromHuggingFaceFolder(folder).HuggingFaceId);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{\"_name_or_path\": \"ProsusAI/finbert\", \"model_type\": \"bert\"}");
        Assert.Equal("ProsusAI/finbert", PretrainedModel.FromHuggingFaceFolder(folder).HuggingFaceId);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{\"_name_or_path\": \"/home/me/checkpoints/run3\", \"model_type\": \"bert\"}");
        Assert.Equal("my-finbert", PretrainedModel.FromHuggingFaceFolder(folder).HuggingFaceId);   // a local path is no id
        Assert.Equal("me/bert", PretrainedModel.FromHuggingFaceFolder(folder, "me/bert").HuggingFaceId);
    }
}
