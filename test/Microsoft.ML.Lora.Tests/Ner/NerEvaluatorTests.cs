using Microsoft.ML.Lora.Ner;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Ner;

public class NerEvaluatorTests
{
    private const double Exact = 1e-12;

    private static NerMetrics Evaluate(IReadOnlyList<string>[] gold, IReadOnlyList<string>[] predicted) =>
        NerEvaluator.Evaluate(gold, predicted);

    [Fact]
    public void ExactMatchScoresOne()
    {
        IReadOnlyList<string>[] tags = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]];

        NerMetrics m = Evaluate(tags, tags);

        Assert.Equal((3, 3, 3), (m.GoldEntityCount, m.PredictedEntityCount, m.CorrectEntityCount));
        Assert.Equal(1.0, m.MicroPrecision, Exact);
        Assert.Equal(1.0, m.MicroRecall, Exact);
        Assert.Equal(1.0, m.MicroF1, Exact);
        Assert.Equal(1.0, m.MacroF1, Exact);
        Assert.Equal(1.0, m.TokenAccuracy, Exact);
        Assert.Equal((2, 6), (m.SentenceCount, m.TokenCount));
    }

    [Fact]
    public void PartialOverlapIsBothAFalsePositiveAndAFalseNegative()
    {
        // Sentence 0: gold PER spans words 0-2, the prediction only 0-1. Sentence 1: one correct LOC.
        IReadOnlyList<string>[] gold = [["B-PER", "I-PER", "I-PER", "O"], ["B-LOC"]];
        IReadOnlyList<string>[] predicted = [["B-PER", "I-PER", "O", "O"], ["B-LOC"]];

        NerMetrics m = Evaluate(gold, predicted);

        Assert.Equal((2, 2, 1), (m.GoldEntityCount, m.PredictedEntityCount, m.CorrectEntityCount));
        Assert.Equal(1.0 / 2, m.MicroPrecision, Exact);
        Assert.Equal(1.0 / 2, m.MicroRecall, Exact);
        Assert.Equal(1.0 / 2, m.MicroF1, Exact);
        Assert.Equal(0.0, m.PerType["PER"].F1, Exact);
        Assert.Equal(4.0 / 5, m.TokenAccuracy, Exact);
    }

    [Fact]
    public void WrongTypeIsWrongAndBothTypesAreReported()
    {
        NerMetrics m = Evaluate([["B-PER", "I-PER", "O"]], [["B-ORG", "I-ORG", "O"]]);

        Assert.Equal((1, 1, 0), (m.GoldEntityCount, m.PredictedEntityCount, m.CorrectEntityCount));
        Assert.Equal(0.0, m.MicroF1, Exact);
        Assert.Equal(["ORG", "PER"], m.PerType.Keys);
        Assert.Equal((1, 0, 0), (m.PerType["PER"].Support, m.PerType["PER"].PredictedCount, m.PerType["PER"].CorrectCount));
        Assert.Equal((0, 1, 0), (m.PerType["ORG"].Support, m.PerType["ORG"].PredictedCount, m.PerType["ORG"].CorrectCount));
        Assert.Equal(0.0, m.PerType["ORG"].Precision, Exact);
        Assert.Equal(0.0, m.PerType["ORG"].Recall, Exact);
        Assert.Equal(0.0, m.MacroF1, Exact);
        Assert.Equal(1.0 / 3, m.TokenAccuracy, Exact);
    }

    [Fact]
    public void ASplitEntityGivesTwoFalsePositivesAndOneFalseNegative()
    {
        // Gold: one 3-word ORG; predicted: ORG over words 0-1 and another ORG on word 2. Plus one correct PER.
        IReadOnlyList<string>[] gold = [["B-ORG", "I-ORG", "I-ORG"], ["B-PER"]];
        IReadOnlyList<string>[] predicted = [["B-ORG", "I-ORG", "B-ORG"], ["B-PER"]];

        NerMetrics m = Evaluate(gold, predicted);

        Assert.Equal((2, 3, 1), (m.GoldEntityCount, m.PredictedEntityCount, m.CorrectEntityCount));
        Assert.Equal(1.0 / 3, m.MicroPrecision, Exact);
        Assert.Equal(1.0 / 2, m.MicroRecall, Exact);
        Assert.Equal(2.0 / 5, m.MicroF1, Exact); // 2 · 1/3 · 1/2 / (1/3 + 1/2)
        Assert.Equal((1, 2, 0), (m.PerType["ORG"].Support, m.PerType["ORG"].PredictedCount, m.PerType["ORG"].CorrectCount));
    }

    [Fact]
    public void AnInsideTagAfterOutsideStartsAnEntityInPredictionsAndGold()
    {
        // The predicted I-PER after O starts the PER entity, which then matches gold exactly (as in conlleval);
        // token accuracy still counts I-PER against B-PER as a wrong tag.
        NerMetrics predictedOrphan = Evaluate([["O", "B-PER", "I-PER", "O"]], [["O", "I-PER", "I-PER", "O"]]);
        Assert.Equal(1.0, predictedOrphan.MicroF1, Exact);
        Assert.Equal(3.0 / 4, predictedOrphan.TokenAccuracy, Exact);

        // Same rule on the gold side (IO-style gold), and an I- of another type right after an entity starts a new one.
        NerMetrics goldOrphan = Evaluate([["I-PER", "I-PER", "I-LOC"]], [["B-PER", "I-PER", "B-LOC"]]);
        Assert.Equal((2, 2, 2), (goldOrphan.GoldEntityCount, goldOrphan.PredictedEntityCount, goldOrphan.CorrectEntityCount));
    }

    [Fact]
    public void PerTypeNumbersMatchHandCounts()
    {
        // Gold entities: PER(0:0-1), LOC(0:3), ORG(0:5), LOC(1:0), PER(1:2), ORG(1:3)  -> PER 2, LOC 2, ORG 2.
        // Predicted:     PER(0:0-1) ok, ORG(0:3) wrong type, ORG(0:5) ok, LOC(1:0) ok  -> PER 1/1, LOC 1/1, ORG 1/2 correct/predicted.
        IReadOnlyList<string>[] gold = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG"], ["B-LOC", "O", "B-PER", "B-ORG"]];
        IReadOnlyList<string>[] predicted = [["B-PER", "I-PER", "O", "B-ORG", "O", "B-ORG"], ["B-LOC", "O", "O", "O"]];

        NerMetrics m = Evaluate(gold, predicted);

        Assert.Equal((6, 4, 3), (m.GoldEntityCount, m.PredictedEntityCount, m.CorrectEntityCount));
        Assert.Equal(3.0 / 4, m.MicroPrecision, Exact);
        Assert.Equal(3.0 / 6, m.MicroRecall, Exact);
        Assert.Equal(3.0 / 5, m.MicroF1, Exact); // 2 · 3/4 · 1/2 / (3/4 + 1/2)

        EntityTypeMetrics per = m.PerType["PER"], loc = m.PerType["LOC"], org = m.PerType["ORG"];
        Assert.Equal((2, 1, 1), (per.Support, per.PredictedCount, per.CorrectCount));
        Assert.Equal((1.0, 1.0 / 2, 2.0 / 3), (per.Precision, per.Recall, per.F1));
        Assert.Equal((2, 1, 1), (loc.Support, loc.PredictedCount, loc.CorrectCount));
        Assert.Equal(2.0 / 3, loc.F1, Exact);
        Assert.Equal((2, 2, 1), (org.Support, org.PredictedCount, org.CorrectCount));
        Assert.Equal((1.0 / 2, 1.0 / 2, 1.0 / 2), (org.Precision, org.Recall, org.F1));
        Assert.Equal(11.0 / 18, m.MacroF1, Exact); // (2/3 + 2/3 + 1/2) / 3
        Assert.Equal(7.0 / 10, m.TokenAccuracy, Exact);
    }

    [Fact]
    public void MatchesSeqevalDocumentedExample()
    {
        // seqeval's README / docstring example: f1_score = precision = recall = 0.50, MISC 0.00 and PER 1.00 with support 1,
        // macro avg 0.50, accuracy_score 0.80. The predicted MISC starts one word early, so it is wrong.
        IReadOnlyList<string>[] gold = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];
        IReadOnlyList<string>[] predicted = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];

        NerMetrics m = Evaluate(gold, predicted);

        Assert.Equal(1.0 / 2, m.MicroPrecision, Exact);
        Assert.Equal(1.0 / 2, m.MicroRecall, Exact);
        Assert.Equal(1.0 / 2, m.MicroF1, Exact);
        Assert.Equal(1.0 / 2, m.MacroF1, Exact);
        Assert.Equal(0.0, m.PerType["MISC"].F1, Exact);
        Assert.Equal(1, m.PerType["MISC"].Support);
        Assert.Equal(1.0, m.PerType["PER"].F1, Exact);
        Assert.Equal(1, m.PerType["PER"].Support);
        Assert.Equal(8.0 / 10, m.TokenAccuracy, Exact);
    }

    [Fact]
    public void MatchesConllevalOnAPerturbedRealDataSet()
    {
        // The WNUT-17 dev gold tags, perturbed by the fixed rule below, were scored with the reference conlleval.pl:
        // "processed 15733 tokens with 836 phrases; found: 2180 phrases; correct: 586", accuracy 89.38%,
        // per type (correct / found / gold): corporation 23/29/34, creative-work 63/104/105, group 24/651/39,
        // location 47/114/74, person 349/434/470, product 80/848/114; 14062 tags equal.
        IReadOnlyList<ConllSentence> dev = ConllReader.Read(TestData.PathOf("wnut17", "emerging.dev.conll"));
        int t = 0;
        string[][] predicted = dev.Select(s => s.Tags.Select(tag => Perturb(t++, tag)).ToArray()).ToArray();

        NerMetrics m = NerEvaluator.Evaluate(dev.Select(s => s.Tags).ToArray(), predicted);

        Assert.Equal((15733, 14062), (m.TokenCount, m.CorrectTokenCount));
        Assert.Equal((836, 2180, 586), (m.GoldEntityCount, m.PredictedEntityCount, m.CorrectEntityCount));
        var expected = new Dictionary<string, (int Correct, int Predicted, int Gold)>
        {
            ["corporation"] = (23, 29, 34),
            ["creative-work"] = (63, 104, 105),
            ["group"] = (24, 651, 39),
            ["location"] = (47, 114, 74),
            ["person"] = (349, 434, 470),
            ["product"] = (80, 848, 114),
        };
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), m.PerType.Keys);
        foreach ((string type, var counts) in expected)
        {
            EntityTypeMetrics actual = m.PerType[type];
            Assert.Equal(counts, (actual.CorrectCount, actual.PredictedCount, actual.Support));
        }

        Assert.Equal(0.3886, m.MicroF1, 1e-4); // conlleval prints FB1: 38.86

        static string Perturb(int t, string gold)
        {
            string type = gold.Length > 2 ? gold[2..] : "";
            if (t % 7 == 3) return "O";
            if (t % 11 == 5 && gold.StartsWith("B-", StringComparison.Ordinal)) return "I-" + type;
            if (t % 13 == 0 && gold != "O") return gold[..2] + (type == "person" ? "location" : "person");
            if (t % 17 == 1 && gold == "O") return "B-product";
            if (t % 19 == 2 && gold == "O") return "I-group";
            return gold;
        }
    }

    [Fact]
    public void IncrementalAdditionEqualsOneShotEvaluation()
    {
        IReadOnlyList<string>[] gold = [["B-PER", "I-PER", "O"], ["B-LOC", "O"]];
        IReadOnlyList<string>[] predicted = [["B-PER", "O", "O"], ["B-LOC", "B-LOC"]];
        var evaluator = new NerEvaluator();
        evaluator.Add(gold[0], predicted[0]);
        NerMetrics afterOne = evaluator.GetMetrics();
        evaluator.Add(gold[1], predicted[1]);

        NerMetrics all = evaluator.GetMetrics();

        Assert.Equal((1, 1, 0), (afterOne.GoldEntityCount, afterOne.PredictedEntityCount, afterOne.CorrectEntityCount));
        Assert.Equal(Evaluate(gold, predicted).ToString(), all.ToString());
        Assert.Equal((2, 3, 1), (all.GoldEntityCount, all.PredictedEntityCount, all.CorrectEntityCount));
    }

    [Fact]
    public void NoEntitiesAnywhereScoresZeroNotNaN()
    {
        NerMetrics m = Evaluate([["O", "O"]], [["O", "O"]]);

        Assert.Equal((0.0, 0.0, 0.0, 0.0), (m.MicroPrecision, m.MicroRecall, m.MicroF1, m.MacroF1));
        Assert.Equal(1.0, m.TokenAccuracy, Exact);
        Assert.Empty(m.PerType);
    }

    [Fact]
    public void ALengthMismatchNamesTheSentenceAndBothLengths()
    {
        var error = Assert.Throws<ArgumentException>(
            () => Evaluate([["O"], ["O", "B-PER", "I-PER"]], [["O"], ["O", "B-PER"]]));

        Assert.Contains("Sentence 1", error.Message);
        Assert.Contains("3 gold tags but 2 predicted tags", error.Message);
    }

    [Fact]
    public void ASentenceCountMismatchAndABadTagAreReported()
    {
        var count = Assert.Throws<ArgumentException>(() => Evaluate([["O"], ["O"]], [["O"]]));
        Assert.Contains("1 predicted sentences for 2 gold sentences", count.Message);

        var tag = Assert.Throws<ArgumentException>(() => Evaluate([["O"], ["O", "B-PER"]], [["O"], ["O", "PER"]]));
        Assert.Contains("'PER' at token 1 of sentence 1", tag.Message);
    }
}
