using Microsoft.ML.Data;
using Microsoft.ML.Lora.Tests.Reliability;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Pipeline;

/// <summary><c>model.GetFineTunedTransformer&lt;T&gt;()</c>: the fine-tuned step of a fitted or loaded chain, or a message listing the steps.</summary>
public class GetFineTunedTransformerTests(TinyClassifierFixture fixture) : IClassFixture<TinyClassifierFixture>
{
    [Fact]
    public void FindsTheStepInAFlatANestedAndALoadedChain()
    {
        var ml = fixture.Ml;
        var data = ml.Data.LoadFromEnumerable(TextClassification.ToyData.Sentiment(repeat: 1));
        var keyToValue = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(fixture.Model.Transform(ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data)));
        var flat = new TransformerChain<ITransformer>(fixture.Model, keyToValue);
        var nested = new TransformerChain<ITransformer>(new TransformerChain<ITransformer>(flat), keyToValue);

        Assert.Same(fixture.Model, fixture.Model.GetFineTunedTransformer<LoraTextClassificationTransformer>());
        Assert.Same(fixture.Model, flat.GetFineTunedTransformer<LoraTextClassificationTransformer>());
        Assert.Same(fixture.Model, nested.GetFineTunedTransformer<LoraTextClassificationTransformer>());
        var loaded = ml.Model.Load(fixture.Zip, out _).GetFineTunedTransformer<LoraTextClassificationTransformer>();
        Assert.Equal(fixture.Model.LabelNames, loaded.LabelNames);
    }

    [Fact]
    public void NoneOrTwoNameTheStepsFound()
    {
        var chain = new TransformerChain<ITransformer>(fixture.Model, fixture.Model);
        var two = Assert.Throws<InvalidOperationException>(() => chain.GetFineTunedTransformer<LoraTextClassificationTransformer>());
        Assert.Contains("2 LoraTextClassificationTransformer steps", two.Message);
        var none = Assert.Throws<InvalidOperationException>(() => chain.GetFineTunedTransformer<LoraNerTransformer>());
        Assert.Contains("no LoraNerTransformer step", none.Message);
        Assert.Contains("LoraTextClassificationTransformer, LoraTextClassificationTransformer", none.Message);
    }
}
