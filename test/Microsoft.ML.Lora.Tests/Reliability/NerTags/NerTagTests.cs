using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Ner;
using Microsoft.ML.Lora.Tests.Ner;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.NerTags;

/// <summary>Bad NER tags and word columns: errors naming the row, the column and what was expected, before any training.</summary>
public class NerTagTests(TinyFolderFixture tiny) : IClassFixture<TinyFolderFixture>
{
    private readonly string baseFolder = tiny.BaseFolder;

    private LoraNerOptions Options(TagScheme scheme = TagScheme.Iob2) => new()
    {
        BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder), Method = FineTuningMethod.Lora(new LoraOptions { Rank = 2 }),
        Epochs = 1, BatchSize = 8, Seed = 1, LabelScheme = scheme,
    };

    private static NerRow[] With(string sentence, params string[] tags)
    {
        var rows = NerToyData.Sentences(4).ToList();
        rows.Insert(2, new NerRow { Sentence = sentence, Label = tags });
        return rows.ToArray();
    }

    public static TheoryData<string, string[], string, string> BadTags => new()
    {
        { "john visited paris", new[] { "B-PER", "O" }, "Iob2", "Row 2 of the training data: 3 word(s) in column 'Sentence' but 2 tag(s) in column 'Label'" },
        { "john visited paris", new[] { "B-PER", "O", "O", "O" }, "Iob2", "3 word(s) in column 'Sentence' but 4 tag(s)" },
        { "john visited paris", new[] { "X-PER", "O", "B-LOC" }, "Iob2", "Row 2 of the training data, column 'Label'" },
        { "john visited paris", new[] { "B-", "O", "B-LOC" }, "Iob2", "Row 2 of the training data, column 'Label'" },
        { "john visited paris", new[] { "PER", "O", "B-LOC" }, "Iob2", "Row 2 of the training data, column 'Label'" },
        { "john visited paris", new[] { "", "O", "B-LOC" }, "Iob2", "Row 2 of the training data, column 'Label'" },
        { "john visited paris", new[] { "S-PER", "O", "Q-LOC" }, "Bioes", "(LabelScheme is Bioes)" },
        { "john visited paris", new[] { "B-PER", "O", "PER" }, "Io", "(LabelScheme is Io)" },
        { "", new[] { "O" }, "Iob2", "0 word(s) in column 'Sentence' but 1 tag(s)" },
    };

    [Theory]
    [MemberData(nameof(BadTags))]
    public void ABadTagRowIsNamedWithItsColumnAndTheExpectation(string sentence, string[] tags, string scheme, string expected)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(With(sentence, tags));
        var ex = Assert.Throws<InvalidDataException>(() => ml.Transforms.LoraFineTune(Options(Enum.Parse<TagScheme>(scheme))).Fit(data));
        Assert.Contains(expected, ex.Message);
    }

    public sealed class NumberRow
    {
        public float Sentence { get; set; }
        public string[] Label { get; set; } = Array.Empty<string>();
    }

    public sealed class ScalarLabelRow
    {
        public string Sentence { get; set; } = "";
        public string Label { get; set; } = "";
    }

    [Fact]
    public void WrongColumnTypesAndAnEmptyDataViewAreNamed()
    {
        var ml = new MLContext(seed: 1);
        var numbers = Assert.ThrowsAny<ArgumentException>(() => ml.Transforms.LoraFineTune(Options()).Fit(ml.Data.LoadFromEnumerable(new[] { new NumberRow { Sentence = 1, Label = new[] { "O" } } })));
        Assert.Contains("'Sentence'", numbers.Message);
        var scalar = Assert.ThrowsAny<ArgumentException>(() => ml.Transforms.LoraFineTune(Options()).Fit(ml.Data.LoadFromEnumerable(new[] { new ScalarLabelRow { Sentence = "john", Label = "B-PER" } })));
        Assert.Contains("'Label'", scalar.Message);
        var empty = Assert.Throws<InvalidOperationException>(() => ml.Transforms.LoraFineTune(Options()).Fit(ml.Data.LoadFromEnumerable(Array.Empty<NerRow>())));
        Assert.Contains("training data has no rows", empty.Message);
    }

    [Fact]
    public void RowsWithoutWordsAloneAreNotTrainingData()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new NerRow { Sentence = "", Label = Array.Empty<string>() }, new NerRow { Sentence = "   ", Label = Array.Empty<string>() } });
        var ex = Assert.Throws<InvalidOperationException>(() => ml.Transforms.LoraFineTune(Options()).Fit(data));
        Assert.Contains("no rows with words", ex.Message);
    }
}
