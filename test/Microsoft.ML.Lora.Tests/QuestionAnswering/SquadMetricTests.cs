using Microsoft.ML.Lora.QuestionAnswering;
using Xunit;

namespace Microsoft.ML.Lora.Tests.QuestionAnswering;

/// <summary>SQuAD v1.1 exact match and F1 against values printed by the official evaluate-v1.1.py functions (Python 3.11).</summary>
public class SquadMetricTests
{
    [Theory]
    [InlineData("The Eiffel Tower!", "eiffel tower", "eiffel tower", 1, 1.0)]
    [InlineData("a cat and the dog", "cat dog", "cat and dog", 0, 0.8)]
    [InlineData("theatre", "the atre", "theatre", 0, 0.0)]                 // articles go only as whole words
    [InlineData("Denver Broncos", "Broncos", "denver broncos", 0, 0.6666666666666666)]
    [InlineData("the the the", "a", "", 1, 0.0)]                           // both empty: exact, but F1 0 (no common token)
    [InlineData("", "", "", 1, 0.0)]
    [InlineData("Café au lait", "café  au lait.", "café au lait", 1, 1.0)]
    [InlineData("$5.3 billion", "5.3 billion dollars", "53 billion", 0, 0.8)]
    [InlineData("Ångström an_the", "ångström an_the", "ångström anthe", 1, 1.0)]   // _ is punctuation, removed first
    [InlineData("the_cat", "cat", "thecat", 0, 0.0)]
    [InlineData("U.S.", "US", "us", 1, 1.0)]
    [InlineData("Saint-Denis", "Saint Denis", "saintdenis", 0, 0.0)]
    [InlineData("1,000", "1000", "1000", 1, 1.0)]
    [InlineData("the\u0301 cat", "\u0301 cat", "\u0301 cat", 1, 1.0)]     // a combining mark is no word character in Python
    [InlineData("the² cat", "the² cat", "the² cat", 1, 1.0)]             // ² is one
    [InlineData("x\u001Fy", "x y", "x y", 1, 1.0)]                       // str.split() splits on U+001F
    public void MatchesTheOfficialScript(string prediction, string reference, string normalized, int exact, double f1)
    {
        Assert.Equal(normalized, SquadScore.Normalize(prediction));
        Assert.Equal(exact, SquadScore.ExactMatch(prediction, reference));
        Assert.Equal(f1, SquadScore.F1(prediction, reference), 12);
    }

    [Fact]
    public void TheBestReferenceCountsAndTheMeanIsInPercent()
    {
        var metrics = QuestionAnsweringMetrics.Compute(new (string, IReadOnlyList<string>)[]
        {
            ("Denver Broncos", new[] { "Broncos", "the Denver Broncos" }),   // EM 1 via the second reference
            ("New York City", new[] { "New York", "Albany" }),               // F1 0.8
            ("Paris", new[] { "London" }),                                   // 0
        });
        Assert.Equal(3, metrics.QuestionCount);
        Assert.Equal(100.0 / 3, metrics.ExactMatch, 10);
        Assert.Equal(100 * (1 + 0.8) / 3, metrics.F1, 10);
        Assert.Contains("question 1", Assert.Throws<ArgumentException>(() => QuestionAnsweringMetrics.Compute(new (string, IReadOnlyList<string>)[]
        {
            ("a", new[] { "a" }), ("b", Array.Empty<string>()),
        })).Message.ToLowerInvariant());
    }

    private sealed class Scored
    {
        public string[] Answers { get; set; } = Array.Empty<string>();
        public string Answer { get; set; } = "";
        public string Single { get; set; } = "";
    }

    [Fact]
    public void EvaluateQuestionAnsweringReadsAReferenceVectorOrAStringAndNamesBadRows()
    {
        var ml = new MLContext();
        var rows = new[]
        {
            new Scored { Answers = new[] { "Broncos", "Denver Broncos" }, Answer = "the Denver Broncos", Single = "Broncos" },
            new Scored { Answers = new[] { "1990" }, Answer = "in 1990", Single = "1990" },
        };
        var data = ml.Data.LoadFromEnumerable(rows);
        var m = ml.MulticlassClassification.EvaluateQuestionAnswering(data);
        Assert.Equal(50, m.ExactMatch, 10);
        Assert.Equal(100 * (1 + 2.0 / 3) / 2, m.F1, 10);
        var single = ml.MulticlassClassification.EvaluateQuestionAnswering(data, referencesColumnName: "Single");
        Assert.Equal(0, single.ExactMatch);

        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.EvaluateQuestionAnswering(data, referencesColumnName: "Refs"));
        Assert.Contains("'Refs' not found", missing.Message);
        var empty = ml.Data.LoadFromEnumerable(new[] { rows[0], new Scored { Answers = Array.Empty<string>(), Answer = "x" } });
        Assert.Contains("Row 1", Assert.Throws<InvalidDataException>(() => ml.MulticlassClassification.EvaluateQuestionAnswering(empty)).Message);
    }
}
