using Microsoft.ML.Lora.Ner;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Ner;

public class EntitySpanDecoderTests
{
    private static readonly string[] Words = ["John", "Smith", "visited", "New", "York", "City"];

    [Fact]
    public void SpansCarryTextPositionsAndMeanConfidence()
    {
        string[] tags = ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "I-LOC"];
        float[] confidences = [0.9f, 0.7f, 0.99f, 0.6f, 0.9f, 0.6f];

        IReadOnlyList<EntitySpan> spans = EntitySpanDecoder.Decode(Words, tags, confidences);

        Assert.Equal(2, spans.Count);
        Assert.Equal(new EntitySpan("PER", "John Smith", 0, 1, spans[0].Confidence), spans[0]);
        Assert.Equal(0.8f, spans[0].Confidence, 1e-6f);
        Assert.Equal(new EntitySpan("LOC", "New York City", 3, 5, spans[1].Confidence), spans[1]);
        Assert.Equal(0.7f, spans[1].Confidence, 1e-6f);
    }

    [Fact]
    public void WithoutConfidencesTheConfidenceIsNaN()
    {
        IReadOnlyList<EntitySpan> spans = EntitySpanDecoder.Decode(Words, ["B-PER", "O", "O", "O", "O", "B-LOC"]);

        Assert.Equal(["John", "City"], spans.Select(s => s.Text));
        Assert.All(spans, s => Assert.True(float.IsNaN(s.Confidence)));
    }

    [Fact]
    public void AnInsideTagAfterOutsideOrAnotherTypeStartsANewEntity()
    {
        // I-PER at the start, I-LOC after O, I-ORG right after I-LOC: three entities, as conlleval reads them.
        string[] tags = ["I-PER", "I-PER", "O", "I-LOC", "I-LOC", "I-ORG"];

        IReadOnlyList<EntitySpan> spans = EntitySpanDecoder.Decode(Words, tags);

        Assert.Equal(
            [("PER", 0, 1), ("LOC", 3, 4), ("ORG", 5, 5)],
            spans.Select(s => (s.Type, s.FirstWord, s.LastWord)));
        Assert.Equal("New York", spans[1].Text);
    }

    [Fact]
    public void ABeginningTagSplitsAdjacentEntitiesOfOneType()
    {
        IReadOnlyList<EntitySpan> spans = EntitySpanDecoder.Decode(Words, ["B-PER", "B-PER", "O", "O", "O", "O"]);

        Assert.Equal(["John", "Smith"], spans.Select(s => s.Text));
    }

    [Fact]
    public void LengthMismatchesAndBadTagsAreReported()
    {
        var tooFewTags = Assert.Throws<ArgumentException>(() => EntitySpanDecoder.Decode(Words, ["O", "O"]));
        Assert.Contains("2 tags for 6 words", tooFewTags.Message);

        var tooFewConfidences = Assert.Throws<ArgumentException>(
            () => EntitySpanDecoder.Decode(Words, ["O", "O", "O", "O", "O", "O"], [1f]));
        Assert.Contains("1 confidences for 6 words", tooFewConfidences.Message);

        var badTag = Assert.Throws<ArgumentException>(() => EntitySpanDecoder.Decode(Words, ["O", "O", "O", "PER", "O", "O"]));
        Assert.Contains("'PER' at token 3", badTag.Message);
    }
}
