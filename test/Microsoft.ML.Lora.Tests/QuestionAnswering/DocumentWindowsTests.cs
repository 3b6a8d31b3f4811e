using Microsoft.ML.Lora.QuestionAnswering;
using Microsoft.ML.Lora.Tests.Tokenization;
using Microsoft.ML.Lora.Tokenization;
using Xunit;

namespace Microsoft.ML.Lora.Tests.QuestionAnswering;

/// <summary>Question + context windows with a document stride, and answer labels mapped back through the tokenizer's offsets.</summary>
public class DocumentWindowsTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.FromVocabularyFile(MiniLmVocabulary.Path, lowerCase: true);

    private static QuestionAnsweringExample Example(string context, string question, string answer, int? start = null)
    {
        int s = start ?? context.IndexOf(answer, StringComparison.Ordinal);
        Assert.True(s >= 0, $"'{answer}' is not in the context");
        var encoded = Tokenizer.EncodeWithOffsets(context);
        var (first, last) = DocumentWindows.AnswerTokens(encoded, s, s + answer.Length);
        return new QuestionAnsweringExample(0, Tokenizer.EncodeWithOffsets(question).Ids.ToArray(), encoded, answer, first, last);
    }

    private static string LabelledText(QuestionAnsweringWindow w)
        => w.Example.Context.Substring(w.FirstToken + w.StartPosition - w.ContextOffset, w.FirstToken + w.EndPosition - w.ContextOffset);

    [Fact]
    public void WindowsShareExactlyTheStrideAndCoverTheContextWithTheWholeQuestionInEach()
    {
        string context = string.Join(' ', Enumerable.Range(0, 300).Select(i => $"w{i}"));   // "w12" is two pieces: w, ##12
        var example = Example(context, "which word comes last ?", "w299");
        int n = example.Context.Count, q = example.QuestionIds.Length;
        const int maxLength = 64, stride = 16;
        var windows = DocumentWindows.Split(example, maxLength, stride, Tokenizer.ClsId, Tokenizer.SepId);
        int room = maxLength - 3 - q;
        Assert.True(windows.Count > 10);
        Assert.Equal(0, windows[0].FirstToken);
        Assert.Equal(n, windows[^1].FirstToken + windows[^1].TokenCount);
        for (int k = 0; k < windows.Count; k++)
        {
            var w = windows[k];
            Assert.Equal(k, w.Index);
            Assert.True(w.Ids.Length <= maxLength);
            Assert.Equal(k < windows.Count - 1 ? room : w.TokenCount, w.TokenCount);   // only the last window is short
            if (k > 0) Assert.Equal(stride, windows[k - 1].FirstToken + windows[k - 1].TokenCount - w.FirstToken);
            // [CLS] question [SEP] context [SEP], types 0 then 1
            Assert.Equal(Tokenizer.ClsId, w.Ids[0]);
            Assert.Equal(example.QuestionIds, w.Ids[1..(q + 1)]);
            Assert.Equal(Tokenizer.SepId, w.Ids[q + 1]);
            Assert.Equal(example.Context.Ids.Skip(w.FirstToken).Take(w.TokenCount), w.Ids[w.ContextOffset..^1]);
            Assert.Equal(Tokenizer.SepId, w.Ids[^1]);
            Assert.Equal(Enumerable.Repeat(0, q + 2).Concat(Enumerable.Repeat(1, w.TokenCount + 1)), w.TypeIds);
        }
        // the answer is the context's last word: only the last window (and the one before, if it shares it) holds it
        Assert.True(windows[^1].HasAnswer);
        Assert.Equal("w299", LabelledText(windows[^1]));
        Assert.All(windows.Where(w => w.FirstToken + w.TokenCount < n - 1), w => Assert.Equal((0, 0), (w.StartPosition, w.EndPosition)));
    }

    [Fact]
    public void AShortContextIsOneWindowAndAnEmptyOneNone()
    {
        var example = Example("Revenue rose 4%.", "what rose ?", "Revenue");
        var one = Assert.Single(DocumentWindows.Split(example, 384, 128, Tokenizer.ClsId, Tokenizer.SepId));
        Assert.Equal("Revenue", LabelledText(one));
        var empty = new QuestionAnsweringExample(0, example.QuestionIds, Tokenizer.EncodeWithOffsets(" \n "));
        Assert.Empty(DocumentWindows.Split(empty, 384, 128, Tokenizer.ClsId, Tokenizer.SepId));
    }

    [Theory]
    [InlineData("Les résultats de Société Générale ont déçu les marchés à Paris.", "Société Générale")]
    [InlineData("Nintendo（任天堂株式会社）の本社は京都市にある。", "任天堂株式会社")]
    [InlineData("Launch day: 🚀 Rocket Lab's Neutron 🚀 lifted off from Wallops.", "🚀 Rocket Lab's Neutron 🚀")]
    [InlineData("The CEO of Zoë Café\u0301 said ΟΔΟΣ ΣΑΣ was the first İstanbul store.", "Zoë Café\u0301")]
    [InlineData("Guidance: EPS of $1.23–$1.30 for FY2025, up from $0.98.", "$1.23–$1.30")]
    public void EveryWindowHoldingTheAnswerMapsBackToItExactly(string sentence, string answer)
    {
        // The sentence among filler, so that the answer lands in several overlapping windows at different places.
        string filler = string.Join(' ', Enumerable.Repeat("the market closed flat today .", 12));
        string context = filler + " " + sentence + " " + filler;
        var example = Example(context, "what is it ?", answer);
        Assert.True(example.HasAlignedAnswer);
        var windows = DocumentWindows.Split(example, 48, 24, Tokenizer.ClsId, Tokenizer.SepId);
        var holding = windows.Where(w => w.HasAnswer).ToList();
        Assert.True(holding.Count >= 2, $"{holding.Count} window(s) hold the answer");
        Assert.All(holding, w => Assert.Equal(answer, LabelledText(w)));
        Assert.All(windows.Where(w => !w.HasAnswer), w => Assert.Equal((0, 0), (w.StartPosition, w.EndPosition)));
    }

    [Fact]
    public void AnswerTokensFollowHuggingFacesRuleForAnswersThatCutATokenOrStartInSpace()
    {
        var context = Tokenizer.EncodeWithOffsets("profit of $5m rose");   // profit, of, $, 5, ##m, rose
        Assert.Equal((3, 3), DocumentWindows.AnswerTokens(context, 11, 12));   // "5": inside the word "5m"
        Assert.Equal((0, 2), DocumentWindows.AnswerTokens(context, 6, 11));    // " of $": the space before "of" belongs to "profit", as in run_qa.py
        Assert.Equal((-1, 0), DocumentWindows.AnswerTokens(Tokenizer.EncodeWithOffsets("  profit"), 0, 3));   // starts before the first token
    }

    [Fact]
    public void AStrideThatLeavesNoRoomIsRefused()
    {
        var example = Example("a b c d e f", "q", "c");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DocumentWindows.Split(example, 10, 6, Tokenizer.ClsId, Tokenizer.SepId));
        Assert.Contains("room for 6 context tokens", e.Message);
    }
}
