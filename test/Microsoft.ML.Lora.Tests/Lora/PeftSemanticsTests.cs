using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Lora;

/// <summary>
/// adapter_config.json read with PEFT's meaning (huggingface/peft 0.20): every key PEFT honours changes what is adapted,
/// settings PEFT would compute differently are refused naming the key and why, and LoraOptions refuse the combinations
/// PeftConfig refuses with PEFT's reason.
/// </summary>
public class PeftSemanticsTests
{
    private static PeftAdapterConfig Parse(string body) => PeftAdapterConfig.Parse("{\"peft_type\": \"LORA\", " + body + "}", "x/adapter_config.json");

    private static IReadOnlyList<string> Targets(LoraOptions options, EncoderArchitecture arch = EncoderArchitecture.Bert)
    {
        using var model = TinyModels.Classifier(arch);
        return LoraInjector.TargetNames(model, options);
    }

    [Fact]
    public void AllLinearAdaptsEveryLinearOfTheModelButTheHead()
    {
        var options = Parse("\"target_modules\": \"all-linear\"").ToLoraOptions();
        Assert.True(options.TargetAllLinear);
        Assert.True(Parse("\"target_modules\": \"ALL-LINEAR\"").ToLoraOptions().TargetAllLinear);   // PEFT lower-cases the shorthand
        var targets = Targets(options);
        Assert.Equal(13, targets.Count);   // 6 per layer and the (frozen) pooler
        Assert.DoesNotContain(targets, t => t.StartsWith("classifier", StringComparison.Ordinal));
        Assert.Equal(12, Targets(options, EncoderArchitecture.DistilBert).Count);   // never pre_classifier / classifier
        Assert.DoesNotContain(Targets(options, EncoderArchitecture.Roberta), t => t.StartsWith("classifier.", StringComparison.Ordinal));
    }

    [Fact]
    public void ModulesToSaveAreNeverAdapted()
    {
        // The issue: all-linear with a trained pooler put LoRA on bert.pooler.dense, which PEFT never does (its tensors were dropped).
        var targets = Targets(new LoraOptions { TargetAllLinear = true, ModulesToSave = new[] { "pooler" } });
        Assert.Equal(12, targets.Count);
        Assert.DoesNotContain("bert.pooler.dense", targets);
        Assert.DoesNotContain(Targets(new LoraOptions { TargetModules = new[] { "query" }, ModulesToSave = new[] { "layer.0.attention" } }),
            t => t.Contains("layer.0.", StringComparison.Ordinal));
    }

    [Fact]
    public void ExcludeModulesListAndRegexFollowPeft()
    {
        var list = Parse("\"target_modules\": [\"query\", \"value\"], \"exclude_modules\": [\"encoder.layer.0.attention.self.query\"]").ToLoraOptions();
        Assert.Equal(new[] { "encoder.layer.0.attention.self.query" }, list.ExcludeModules);
        Assert.Equal(new[] { "bert.encoder.layer.0.attention.self.value", "bert.encoder.layer.1.attention.self.query", "bert.encoder.layer.1.attention.self.value" },
            Targets(list));
        var regex = Parse("\"target_modules\": [\"query\", \"value\"], \"exclude_modules\": \".*layer\\\\.1\\\\..*\"").ToLoraOptions();
        Assert.Equal(".*layer\\.1\\..*", regex.ExcludeModulesRegex);
        Assert.Equal(new[] { "bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.0.attention.self.value" }, Targets(regex));
    }

    [Fact]
    public void LayersToTransformAndLayersPatternPickTheLayerIndex()
    {
        Assert.Equal(new[] { "bert.encoder.layer.1.attention.self.query", "bert.encoder.layer.1.attention.self.value" },
            Targets(Parse("\"target_modules\": [\"query\", \"value\"], \"layers_to_transform\": 1, \"layers_pattern\": \"layer\"").ToLoraOptions()));
        Assert.Empty(Targets(Parse("\"target_modules\": [\"query\"], \"layers_to_transform\": [0], \"layers_pattern\": [\"h\"]").ToLoraOptions()));
        // An exact name is adapted whatever the layers (PEFT checks the layer only for suffix matches).
        Assert.Equal(new[] { "bert.encoder.layer.0.attention.self.query" },
            Targets(new LoraOptions { TargetModules = new[] { "bert.encoder.layer.0.attention.self.query" }, LayersToTransform = new[] { 1 } }));
    }

    [Fact]
    public void RankAndAlphaPatternsTakeTheFirstMatchingKey()
    {
        var options = Parse("\"r\": 4, \"lora_alpha\": 8, \"target_modules\": [\"query\", \"value\"], " +
            "\"rank_pattern\": {\"layer.0.attention.self.query\": 2, \"query\": 6}, \"alpha_pattern\": {\"value\": 3}").ToLoraOptions();
        using var model = TinyModels.Classifier();
        var plan = LoraInjector.Plan(model, options).ToDictionary(t => t.Name);
        Assert.Equal(2, plan["bert.encoder.layer.0.attention.self.query"].Rank);   // first key in the file's order wins
        Assert.Equal(6, plan["bert.encoder.layer.1.attention.self.query"].Rank);
        Assert.Equal(4, plan["bert.encoder.layer.0.attention.self.value"].Rank);
        Assert.Equal(3, plan["bert.encoder.layer.0.attention.self.value"].Alpha);
        Assert.Equal(8.0 / 2, plan["bert.encoder.layer.0.attention.self.query"].Scaling);
        Assert.Equal(3.0 / 4, plan["bert.encoder.layer.0.attention.self.value"].Scaling);
        LoraInjector.Inject(model, options);
        var byName = model.named_modules().Where(m => m.module is LoraLinear).ToDictionary(m => m.name, m => (LoraLinear)m.module);
        Assert.Equal(new long[] { 2, 16 }, byName["bert.encoder.layer.0.attention.self.query"].LoraA.shape);
        Assert.Equal(new long[] { 16, 6 }, byName["bert.encoder.layer.1.attention.self.query"].LoraB.shape);
    }

    [Fact]
    public void DuplicatesInModulesToSaveAreTolerated()
    {
        var options = Parse("\"modules_to_save\": [\"classifier\", \"score\", \"classifier\", \"score\", \"classifier\"]").ToLoraOptions();
        Assert.Equal(new[] { "classifier", "score" }, options.ModulesToSave);
    }

    [Fact]
    public void ModulesToSaveSelectsByPlainSuffixAsPeftDoes()
    {
        using var model = TinyModels.Classifier(EncoderArchitecture.DistilBert);
        // "classifier" also selects DistilBERT's pre_classifier (str.endswith): what PEFT saves, as the distilbert-faq fixture shows.
        var saved = LoraInjector.TrainableModules(model, new[] { "classifier" });
        Assert.Contains("pre_classifier", saved);
        Assert.Contains("classifier", saved);
    }

    [Theory]
    [InlineData("\"init_lora_weights\": \"pissa\"", "init_lora_weights", "PiSSA")]
    [InlineData("\"init_lora_weights\": \"pissa_niter_4\"", "init_lora_weights", "PiSSA")]
    [InlineData("\"init_lora_weights\": \"olora\"", "init_lora_weights", "OLoRA")]
    [InlineData("\"init_lora_weights\": \"corda\"", "init_lora_weights", "CorDA")]
    [InlineData("\"init_lora_weights\": \"loftq\", \"loftq_config\": {\"loftq_bits\": 4}", "init_lora_weights", "LoftQ")]
    [InlineData("\"init_lora_weights\": \"something\"", "init_lora_weights", "not an initialisation")]
    [InlineData("\"bias\": \"all\"", "bias", "biases")]
    [InlineData("\"bias\": \"lora_only\"", "bias", "biases")]
    [InlineData("\"trainable_token_indices\": [1, 2]", "trainable_token_indices", "trainable tokens")]
    [InlineData("\"layer_replication\": [[0, 2]]", "layer_replication", "replication")]
    [InlineData("\"target_parameters\": [\"experts.w\"]", "target_parameters", "bare parameters")]
    [InlineData("\"use_qalora\": true", "use_qalora", "QALoRA")]
    [InlineData("\"lora_bias\": true, \"use_dora\": true", "lora_bias", "DoRA")]
    [InlineData("\"target_modules\": \".*query\", \"layers_to_transform\": [0]", "layers_to_transform", "cannot be used when `target_modules` is a str")]
    [InlineData("\"target_modules\": \"all-linear\", \"layers_to_transform\": [0]", "layers_to_transform", "cannot be used when `target_modules` is a str")]
    public void SettingsPeftWouldComputeDifferentlyAreRefusedNamingTheKeyAndWhy(string body, string key, string why)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Parse(body));
        Assert.Contains("x/adapter_config.json", ex.Message);
        Assert.Contains(key, ex.Message);
        Assert.Contains(why, ex.Message);
    }

    [Theory]
    [InlineData("eva")]
    [InlineData("orthogonal")]
    [InlineData("mica")]
    [InlineData("lora_ga")]
    [InlineData("false")]
    public void InitialisationsThatLeaveTheBaseAloneLoadAsTheirWeights(string init)
    {
        var value = init == "false" ? "false" : $"\"{init}\"";
        Assert.Equal(LoraInit.KaimingUniform, Parse($"\"init_lora_weights\": {value}").InitLoraWeights);
    }

    [Fact]
    public void UnknownKeysAreListedForTheLogAndFanInFanOutIsAcceptedForLinearLayers()
    {
        var c = Parse("\"future_feature\": {\"a\": 1}, \"fan_in_fan_out\": true, \"velora_config\": null, \"qalora_group_size\": 16, \"ensure_weight_tying\": false");
        Assert.Contains("future_feature", c.IgnoredKeys);
        Assert.Contains(c.IgnoredKeys, k => k.StartsWith("fan_in_fan_out", StringComparison.Ordinal));
        Assert.DoesNotContain(c.IgnoredKeys, k => k.StartsWith("qalora", StringComparison.Ordinal));   // PEFT knows those
    }

    [Fact]
    public void LoraBiasAndDoraAreRead()
    {
        var options = Parse("\"lora_bias\": true").ToLoraOptions();
        Assert.True(options.LoraBias);
        Assert.True(Parse("\"use_dora\": true").ToLoraOptions().UseDora);
    }

    [Fact]
    public void TargetsThatAreNotLinearLayersAreRefusedNamingTheModule()
    {
        // "output" names BertSelfOutput and BertOutput blocks: PEFT refuses to adapt such modules too.
        var ex = Assert.Throws<ArgumentException>(() => Targets(new LoraOptions { TargetModules = new[] { "output" } }));
        Assert.Matches(@"LoRA target .bert\.encoder\.layer\.0\.(attention\.)?output.", ex.Message);
        Assert.Contains("not a Linear", ex.Message);
    }

    [Theory]
    [InlineData("regex+layers", "cannot be used when `target_modules` is a str")]
    [InlineData("pattern-without-layers", "`layers_to_transform` must also be specified")]
    [InlineData("bias+gaussian", "init_lora_weights=True or False")]
    [InlineData("bias+dora", "not supported for DoRA")]
    [InlineData("exclude-both", "only one of ExcludeModules and ExcludeModulesRegex")]
    [InlineData("bad-rank-pattern", "RankPattern['query'] must be at least 1")]
    public void OptionsRefuseWhatPeftConfigRefusesWithPeftsReason(string what, string reason)
    {
        var options = what switch
        {
            "regex+layers" => new LoraOptions { TargetModulesRegex = ".*query", LayersToTransform = new[] { 0 } },
            "pattern-without-layers" => new LoraOptions { LayersPattern = new[] { "layer" } },
            "bias+gaussian" => new LoraOptions { LoraBias = true, Init = LoraInit.Gaussian },
            "bias+dora" => new LoraOptions { LoraBias = true, UseDora = true },
            "exclude-both" => new LoraOptions { ExcludeModules = new[] { "a" }, ExcludeModulesRegex = "b" },
            _ => new LoraOptions { RankPattern = new Dictionary<string, int> { ["query"] = 0 } },
        };
        Assert.Contains(reason, Assert.Throws<ArgumentException>(options.Validate).Message);
    }

    [Fact]
    public void DefaultsArePefts()
    {
        var o = new LoraOptions();
        Assert.Equal((8, 8.0, 0.0), (o.Rank, o.Alpha, o.Dropout));
        Assert.Equal(new[] { "bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.0.attention.self.value",
            "bert.encoder.layer.1.attention.self.query", "bert.encoder.layer.1.attention.self.value" }, Targets(new LoraOptions { Rank = 2 }));
        var parsed = PeftAdapterConfig.Parse("{\"peft_type\": \"LORA\"}");
        Assert.Equal((8, 8.0, 0.0), (parsed.R, parsed.LoraAlpha, parsed.LoraDropout));
    }
}
