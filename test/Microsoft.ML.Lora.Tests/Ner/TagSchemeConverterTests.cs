using Microsoft.ML.Lora.Ner;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Ner;

public class TagSchemeConverterTests
{
    [Fact]
    public void IoRunsBecomeIob2Entities()
    {
        string[] io = ["I-PER", "I-PER", "O", "I-LOC", "I-ORG", "I-ORG", "O", "I-creative-work"];

        string[] iob2 = TagSchemeConverter.ConvertToIob2(io, TagScheme.Io);

        Assert.Equal(["B-PER", "I-PER", "O", "B-LOC", "B-ORG", "I-ORG", "O", "B-creative-work"], iob2);
    }

    [Fact]
    public void IoCannotSplitAdjacentEntitiesOfOneType()
    {
        // IO has no way to mark the boundary, so two adjacent PER names read as one entity.
        Assert.Equal(["B-PER", "I-PER", "I-PER"], TagSchemeConverter.ConvertToIob2(["I-PER", "I-PER", "I-PER"], TagScheme.Io));
    }

    [Fact]
    public void Iob1KeepsTheBoundaryBetweenAdjacentSameTypeEntities()
    {
        string[] iob1 = ["I-PER", "I-PER", "B-PER", "I-PER", "O", "I-LOC", "I-ORG", "B-ORG"];

        string[] iob2 = TagSchemeConverter.ConvertToIob2(iob1, TagScheme.Iob1);

        Assert.Equal(["B-PER", "I-PER", "B-PER", "I-PER", "O", "B-LOC", "B-ORG", "B-ORG"], iob2);
    }

    [Fact]
    public void BioesSinglesAndEndsBecomeIob2()
    {
        string[] bioes = ["S-PER", "B-LOC", "I-LOC", "E-LOC", "O", "S-ORG", "S-ORG"];

        string[] iob2 = TagSchemeConverter.ConvertToIob2(bioes, TagScheme.Bioes);

        Assert.Equal(["B-PER", "B-LOC", "I-LOC", "I-LOC", "O", "B-ORG", "B-ORG"], iob2);
    }

    [Fact]
    public void ValidIob2IsUnchanged()
    {
        string[] tags = ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "I-LOC"];

        Assert.Equal(tags, TagSchemeConverter.ConvertToIob2(tags, TagScheme.Iob2));
        Assert.Equal(tags, TagSchemeConverter.RepairIob2(tags));
    }

    [Fact]
    public void RepairTurnsAnOrphanInsideTagIntoABeginning()
    {
        string[] predicted = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG", "I-ORG"];

        string[] repaired = TagSchemeConverter.RepairIob2(predicted);

        Assert.Equal(["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "B-ORG", "I-ORG"], repaired);
    }

    [Theory]
    [InlineData("PER")]
    [InlineData("B-")]
    [InlineData("X-PER")]
    [InlineData("BPER")]
    [InlineData("o")]
    [InlineData("E-PER")]
    public void AnInvalidIob2TagIsNamedWithItsTokenIndex(string bad)
    {
        var error = Assert.Throws<ArgumentException>(() => TagSchemeConverter.ConvertToIob2(["O", "B-PER", bad], TagScheme.Iob2));

        Assert.Contains($"'{bad}'", error.Message);
        Assert.Contains("token 2", error.Message);
        Assert.Contains("Iob2", error.Message);
    }

    [Fact]
    public void AnInvalidTagInABatchIsNamedWithItsSentenceAndTokenIndex()
    {
        IReadOnlyList<string>[] sentences = [["I-PER", "O"], ["O", "O", "O", "S-LOC"]];

        var error = Assert.Throws<ArgumentException>(() => TagSchemeConverter.ConvertToIob2(sentences, TagScheme.Io));

        Assert.Contains("'S-LOC'", error.Message);
        Assert.Contains("token 3 of sentence 1", error.Message);
    }

    [Fact]
    public void ABatchConvertsEverySentence()
    {
        IReadOnlyList<string>[] sentences = [["I-PER", "O"], ["O", "I-LOC", "I-LOC"]];

        string[][] converted = TagSchemeConverter.ConvertToIob2(sentences, TagScheme.Io);

        Assert.Equal(["B-PER", "O"], converted[0]);
        Assert.Equal(["O", "B-LOC", "I-LOC"], converted[1]);
    }
}
