using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Lora;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.PeftConfigs;

/// <summary>
/// adapter_config.json values of the wrong JSON type or out of range are errors naming the file, the key and the expected
/// type — never silently replaced by a default (the issue: "lora_alpha": "16" loaded as alpha 8, "r": "eight" as 8).
/// </summary>
public class AdapterConfigTypingTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private const string Valid = """
        {"peft_type": "LORA", "task_type": "SEQ_CLS", "r": 8, "lora_alpha": 16, "lora_dropout": 0.1, "target_modules": ["query", "value"],
         "modules_to_save": ["classifier"], "layers_to_transform": null, "use_rslora": false, "use_dora": false, "fan_in_fan_out": false,
         "bias": "none", "init_lora_weights": true, "rank_pattern": {}, "alpha_pattern": {}, "base_model_name_or_path": "bert-base-uncased"}
        """;

    private string Write(string key, string valueJson)
    {
        var o = JsonNode.Parse(Valid)!.AsObject();
        o[key] = JsonNode.Parse(valueJson);
        var folder = Directory.CreateDirectory(Path.Combine(temp.Path, Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllText(Path.Combine(folder, PeftAdapterConfig.FileName), o.ToJsonString());
        return folder;
    }

    public static TheoryData<string, string, string> WrongTypes => new()
    {
        { "r", "\"eight\"", "an integer" },
        { "r", "\"8\"", "an integer" },
        { "r", "8.5", "an integer" },
        { "r", "true", "an integer" },
        { "r", "[8]", "an integer" },
        { "r", "1e12", "an integer" },
        { "r", "0", "between 1 and 65536" },
        { "r", "-4", "between 1 and 65536" },
        { "lora_alpha", "\"16\"", "a number" },
        { "lora_alpha", "[16]", "a number" },
        { "lora_alpha", "{}", "a number" },
        { "lora_alpha", "0", "a positive number" },
        { "lora_alpha", "-16", "a positive number" },
        { "lora_dropout", "\"0.1\"", "a number" },
        { "lora_dropout", "1.0", "[0, 1)" },
        { "lora_dropout", "-0.5", "[0, 1)" },
        { "target_modules", "[1, 2]", "a string" },
        { "target_modules", "[\"query\", null]", "a string" },
        { "target_modules", "5", "a list of strings" },
        { "target_modules", "{\"query\": true}", "a list of strings" },
        { "modules_to_save", "\"classifier\"", "a list of strings" },
        { "modules_to_save", "[3]", "a string" },
        { "layers_to_transform", "\"0\"", "a list of integers" },
        { "layers_to_transform", "[0, \"1\"]", "an integer" },
        { "layers_to_transform", "[-1]", "at least 0" },
        { "layers_to_transform", "1.5", "an integer" },
        { "use_rslora", "\"true\"", "true or false" },
        { "use_rslora", "1", "true or false" },
        { "use_dora", "\"false\"", "true or false" },
        { "fan_in_fan_out", "0", "true or false" },
        { "bias", "false", "a string" },
        { "task_type", "3", "a string" },
        { "peft_type", "[\"LORA\"]", "a string" },
        { "init_lora_weights", "1", "true, false or a string" },
        { "rank_pattern", "[]", "an object" },
        { "alpha_pattern", "\"x\"", "an object" },
        { "base_model_name_or_path", "7", "a string" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void AWrongTypedValueNamesTheFileTheKeyAndTheExpectedType(string key, string value, string expected)
    {
        var folder = Write(key, value);
        var ex = Assert.Throws<InvalidDataException>(() => PeftAdapter.ReadConfig(folder));
        Assert.Contains(Path.Combine(folder, PeftAdapterConfig.FileName), ex.Message);
        Assert.Contains($"\"{key}", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    public static TheoryData<string, string> Unsupported => new()
    {
        { "init_lora_weights", "\"pissa\"" },
        { "trainable_token_indices", "[1, 2]" },
        { "bias", "\"lora_only\"" },
        { "layer_replication", "[[0, 2]]" },
        { "peft_type", "\"ADALORA\"" },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void AWellTypedButUnsupportedSettingIsRefusedByName(string key, string value)
    {
        var ex = Assert.Throws<InvalidDataException>(() => PeftAdapter.ReadConfig(Write(key, value)));
        Assert.Contains(key, ex.Message);
    }

    [Theory]
    [InlineData("[1, 2]", "expected an object")]
    [InlineData("{\"peft_type\": \"LORA\", ", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    public void AFileThatIsNotAJsonObjectIsRefused(string text, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => PeftAdapterConfig.Parse(text, "x/adapter_config.json"));
        Assert.Contains("x/adapter_config.json", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void NestingBeyondAnyConfigIsRefusedNotRecursedInto()
    {
        var deep = "{\"peft_type\": \"LORA\", \"x\": " + new string('[', 10_000) + new string(']', 10_000) + "}";
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => PeftAdapterConfig.Parse(deep)).Message);
    }

    [Fact]
    public void NullsMeanPeftsDefaultsAndIntegralFloatsAreIntegers()
    {
        var c = PeftAdapterConfig.Parse("""{"peft_type": "LORA", "r": 16.0, "lora_alpha": null, "lora_dropout": null, "target_modules": null, "init_lora_weights": "gaussian", "something_new": [1, {"a": 2}]}""");
        Assert.Equal(16, c.R);
        Assert.Equal(8, c.LoraAlpha);
        Assert.Equal(0, c.LoraDropout);
        Assert.Null(c.TargetModules);
        Assert.Equal(LoraInit.Gaussian, c.InitLoraWeights);
        Assert.Equal(new[] { 3 }, PeftAdapterConfig.Parse("""{"peft_type": "LORA", "layers_to_transform": 3}""").LayersToTransform);
    }

    [Fact]
    public void AnAlphaWrittenAsAStringNoLongerLoadsAsTheDefault()
    {
        // The reproduction: "lora_alpha": "16" used to load as alpha 8 and score differently.
        var ex = Assert.Throws<InvalidDataException>(() => PeftAdapter.ReadConfig(Write("lora_alpha", "\"16\"")));
        Assert.Contains("\"lora_alpha\" is \"16\" (a JSON string); expected a number", ex.Message);
    }
}
