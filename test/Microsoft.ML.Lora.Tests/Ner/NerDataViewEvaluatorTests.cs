using Microsoft.ML.Lora.Ner;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Ner;

public class NerDataViewEvaluatorTests
{
    public sealed class TaggedRow
    {
        public string[] Label { get; set; } = Array.Empty<string>();
        public string[] Guess { get; set; } = Array.Empty<string>();
    }

    private static readonly TaggedRow[] Rows =
    {
        new() { Label = new[] { "B-PER", "I-PER", "O", "B-LOC" }, Guess = new[] { "B-PER", "I-PER", "O", "B-ORG" } },
        new() { Label = new[] { "O", "B-ORG" }, Guess = new[] { "O", "I-ORG" } },   // an I- after O: repaired, counts as correct
        new() { Label = Array.Empty<string>(), Guess = Array.Empty<string>() },
    };

    [Fact]
    public void ScoresStringAndKeyColumnsAsTheEvaluatorDoes()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        var expected = NerEvaluator.Evaluate(Rows.Select(r => (IReadOnlyList<string>)r.Label).ToArray(),
            Rows.Select(r => (IReadOnlyList<string>)TagSchemeConverter.RepairIob2(r.Guess)).ToArray());
        var metrics = ml.MulticlassClassification.EvaluateNer(data, predictedLabelColumnName: "Guess");
        Assert.Equal(expected.ToString(), metrics.ToString());
        Assert.Equal(2, metrics.CorrectEntityCount);
        Assert.Equal(3, metrics.GoldEntityCount);

        // key vectors with String key values read the same
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.Conversion.MapValueToKey("Guess")).Fit(data).Transform(data);
        Assert.Equal(expected.ToString(), ml.MulticlassClassification.EvaluateNer(keyed, predictedLabelColumnName: "Guess").ToString());
    }

    [Fact]
    public void GoldTagsAreConvertedFromTheirScheme()
    {
        var ml = new MLContext(seed: 1);
        var io = new[] { new TaggedRow { Label = new[] { "I-PER", "I-PER", "O" }, Guess = new[] { "B-PER", "I-PER", "O" } } };
        var metrics = ml.MulticlassClassification.EvaluateNer(ml.Data.LoadFromEnumerable(io), predictedLabelColumnName: "Guess", labelScheme: TagScheme.Io);
        Assert.Equal(1.0, metrics.MicroF1);
        Assert.Equal(1.0, metrics.TokenAccuracy);
    }

    [Fact]
    public void BadRowsAndColumnsAreNamed()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows.Append(new TaggedRow { Label = new[] { "O", "O" }, Guess = new[] { "O" } }).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => ml.MulticlassClassification.EvaluateNer(ml.Data.LoadFromEnumerable(rows), predictedLabelColumnName: "Guess"));
        Assert.Contains("Row 3", e.Message);
        Assert.Contains("2 tag(s) in column 'Label' but 1 in column 'Guess'", e.Message);

        var badTag = new[] { new TaggedRow { Label = new[] { "PER" }, Guess = new[] { "O" } } };
        var t = Assert.Throws<InvalidDataException>(() => ml.MulticlassClassification.EvaluateNer(ml.Data.LoadFromEnumerable(badTag), predictedLabelColumnName: "Guess"));
        Assert.Contains("Row 0", t.Message);
        Assert.Contains("'PER'", t.Message);

        var missing = Assert.ThrowsAny<ArgumentException>(() => ml.MulticlassClassification.EvaluateNer(ml.Data.LoadFromEnumerable(Rows)));
        Assert.Contains("'PredictedLabel'", missing.Message);
        var scalar = Assert.ThrowsAny<ArgumentException>(() => ml.MulticlassClassification.EvaluateNer(
            ml.Data.LoadFromEnumerable(new[] { new { Label = "O", PredictedLabel = new[] { "O" } } })));
        Assert.Contains("'Label'", scalar.Message);
        Assert.Contains("vector of String", scalar.Message);
    }
}
