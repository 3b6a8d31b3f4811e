using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Methods;

public class FineTuningMethodJsonTests
{
    public static TheoryData<string> Methods => new() { "lora", "full", "head", "last2", "adapters", "adapters-relu", "prefix", "prefix-plain" };

    private static FineTuningMethod Make(string name) => name switch
    {
        "lora" => FineTuningMethod.Lora(new LoraOptions { Rank = 4, Alpha = 8, TargetModules = new[] { "query", "key" } }),
        "full" => FineTuningMethod.Full,
        "head" => FineTuningMethod.HeadOnly,
        "last2" => FineTuningMethod.LastLayers(2),
        "adapters" => FineTuningMethod.Adapters(),
        "adapters-relu" => FineTuningMethod.Adapters(16, AdapterActivation.Relu, trainLayerNorms: false),
        "prefix" => FineTuningMethod.PrefixTuning(),
        _ => FineTuningMethod.PrefixTuning(7, reparameterize: false),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void EveryMethodRoundTripsThroughItsJson(string name)
    {
        var method = Make(name);
        var json = method.ToJson();
        var back = FineTuningMethod.FromJson(JsonNode.Parse(json.ToJsonString())!.AsObject(), "test");
        Assert.Equal(method.GetType(), back.GetType());
        Assert.Equal(json.ToJsonString(), back.ToJson().ToJsonString());
        Assert.Equal(method.Name, back.Name);
        Assert.Equal(method.DefaultLearningRate, back.DefaultLearningRate);
    }

    [Fact]
    public void NamesAndDefaultRatesSayWhatTheMethodIs()
    {
        Assert.Equal("Adapters(m=64)", FineTuningMethod.Adapters().Name);
        Assert.Equal("Prefix(length=20, MLP 512)", FineTuningMethod.PrefixTuning().Name);
        Assert.Equal("Prefix(length=10)", FineTuningMethod.PrefixTuning(10, reparameterize: false).Name);
        Assert.True(FineTuningMethod.PrefixTuning().DefaultLearningRate > FineTuningMethod.Adapters().DefaultLearningRate);
        Assert.True(FineTuningMethod.Adapters().DefaultLearningRate > FineTuningMethod.Full.DefaultLearningRate);
    }

    [Fact]
    public void DamagedSettingsNameTheSourceAndTheMethod()
    {
        var bad = Assert.Throws<InvalidDataException>(() => FineTuningMethod.FromJson(
            JsonNode.Parse("""{"kind":"adapters","bottleneck_size":0}""")!.AsObject(), "model.zip/Model.json"));
        Assert.Contains("model.zip/Model.json", bad.Message);
        Assert.Contains("adapters", bad.Message);
        var act = Assert.Throws<InvalidDataException>(() => FineTuningMethod.FromJson(
            JsonNode.Parse("""{"kind":"adapters","bottleneck_size":8,"activation":"swish"}""")!.AsObject(), "m.json"));
        Assert.Contains("swish", act.Message);
        var missing = Assert.Throws<InvalidDataException>(() => FineTuningMethod.FromJson(
            JsonNode.Parse("""{"kind":"prefix"}""")!.AsObject(), "m.json"));
        Assert.Contains("'length'", missing.Message);
        var unknown = Assert.Throws<InvalidDataException>(() => FineTuningMethod.FromJson(
            JsonNode.Parse("""{"kind":"ia3"}""")!.AsObject(), "m.json"));
        Assert.Contains("'ia3'", unknown.Message);
    }
}
