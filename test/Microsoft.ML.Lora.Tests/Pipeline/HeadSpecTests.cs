using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Pipeline;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Pipeline;

/// <summary>The head description a format-2 .zip stores: mean pooling is added without changing what older files say.</summary>
public class HeadSpecTests
{
    [Fact]
    public void AHeadWithoutPoolingReadsAsTheFirstTokenAndWritesAsBefore()
    {
        var old = HeadSpec.FromJson(JsonNode.Parse("""{"outputs":3,"pooler":"trained"}"""), "model.zip");
        Assert.Equal(new HeadSpec(3, PoolerUse.Trained, TokenPooling.FirstToken), old);
        Assert.Equal("""{"outputs":3,"pooler":"trained"}""", old.ToJson().ToJsonString());
    }

    [Fact]
    public void AMeanPooledHeadRoundTripsAndReadsNoPooler()
    {
        var mean = HeadSpec.MeanPooled(1);
        Assert.Equal(PoolerUse.None, mean.Pooler);
        Assert.Equal("""{"outputs":1,"pooler":"none","pooling":"mean"}""", mean.ToJson().ToJsonString());
        Assert.Equal(mean, HeadSpec.FromJson(mean.ToJson(), "model.zip"));
    }

    [Theory]
    [InlineData("""{"outputs":1,"pooler":"none","pooling":"max"}""", "'pooling' is \"max\"")]
    [InlineData("""{"outputs":1,"pooler":"none","pooling":2}""", "'pooling' is 2")]
    [InlineData("""{"outputs":1,"pooler":"trained","pooling":"mean"}""", "reads no pooler")]
    public void ABadPoolingIsRefusedNamingTheFileAndTheValue(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => HeadSpec.FromJson(JsonNode.Parse(json), "model.zip"));
        Assert.Contains("model.zip", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
