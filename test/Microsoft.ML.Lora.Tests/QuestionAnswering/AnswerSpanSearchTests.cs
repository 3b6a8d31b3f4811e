using Microsoft.ML.Lora.QuestionAnswering;
using Microsoft.ML.Lora.Tokenization;
using Xunit;

namespace Microsoft.ML.Lora.Tests.QuestionAnswering;

/// <summary>The best-span rules on hand-made logits: inside the context, start ≤ end, maximum length, n-best, over windows.</summary>
public class AnswerSpanSearchTests
{
    // A window of [CLS] q q [SEP] c0 .. c{n-1} [SEP]: the context starts at position 4.
    private const int Offset = 4;

    private static QuestionAnsweringWindow Window(int contextTokens, int firstToken = 0, int index = 0)
    {
        var context = new OffsetEncodedText("", new int[firstToken + contextTokens], new int[firstToken + contextTokens], new int[firstToken + contextTokens]);
        var example = new QuestionAnsweringExample(0, new[] { 7, 8 }, context);
        return new QuestionAnsweringWindow(example, index, firstToken, contextTokens, new int[Offset + contextTokens + 1], new int[Offset + contextTokens + 1], 0, 0);
    }

    /// <summary>(start, end) logits per position; context token i is position Offset + i.</summary>
    private static float[] Logits(int contextTokens, params (int Position, float Start, float End)[] set)
    {
        var l = new float[(Offset + contextTokens + 1) * 2];
        foreach (var (p, s, e) in set)
        {
            l[p * 2] = s;
            l[p * 2 + 1] = e;
        }
        return l;
    }

    private static List<SpanCandidate> Search(QuestionAnsweringWindow w, float[] logits, int maxAnswer = 30, int nBest = 20)
    {
        var all = new List<SpanCandidate>();
        AnswerSpanSearch.AddCandidates(w, logits, new QuestionAnsweringSettings(0, 64, maxAnswer, nBest), all);
        return AnswerSpanSearch.Best(all, 5);
    }

    [Fact]
    public void TheBestSpanMaximisesStartPlusEndInsideTheContext()
    {
        // [CLS], a question token and the final [SEP] have the largest logits: never chosen
        var logits = Logits(6, (0, 50, 50), (1, 40, 40), (Offset + 6, 45, 45), (Offset + 2, 5, 1), (Offset + 3, 1, 6), (Offset + 5, 4, 4));
        var best = Search(Window(6), logits)[0];
        Assert.Equal((2, 3), (best.FirstToken, best.LastToken));
        Assert.Equal(11f, best.Logit);
    }

    [Fact]
    public void AnEndBeforeItsStartOrASpanLongerThanTheMaximumIsSkipped()
    {
        // the best end (token 0) lies before the best start (token 4): the pair is invalid
        var logits = Logits(6, (Offset + 4, 9, 0), (Offset + 0, 0, 9), (Offset + 5, 0, 2));
        var best = Search(Window(6), logits)[0];
        Assert.Equal((4, 5), (best.FirstToken, best.LastToken));
        Assert.DoesNotContain(Search(Window(6), logits), c => c.LastToken < c.FirstToken);

        // tokens 0..5 would score highest but span 6 > 3 tokens
        var wide = Logits(6, (Offset + 0, 9, 0), (Offset + 5, 0, 9), (Offset + 3, 1, 0), (Offset + 4, 0, 1));
        Assert.All(Search(Window(6), wide, maxAnswer: 3), c => Assert.InRange(c.LastToken - c.FirstToken + 1, 1, 3));
        Assert.Equal((0, 5), (Search(Window(6), wide, maxAnswer: 6)[0].FirstToken, Search(Window(6), wide, maxAnswer: 6)[0].LastToken));
    }

    [Fact]
    public void OnlyTheNBestStartsAndEndsArePaired()
    {
        // the only valid pair uses the third-best start: with n-best 2 it is never considered
        var logits = Logits(6, (Offset + 4, 9, 0), (Offset + 5, 8, 0), (Offset + 1, 7, 0), (Offset + 2, 0, 9), (Offset + 3, 0, 8));
        Assert.Empty(Search(Window(6), logits, nBest: 2));
        var best = Search(Window(6), logits, nBest: 3)[0];
        Assert.Equal((1, 2), (best.FirstToken, best.LastToken));
    }

    [Fact]
    public void ProbabilityIsTheProductOfTheStartAndEndSoftmaxOverTheContext()
    {
        var logits = Logits(3, (0, 100, 100), (Offset + 0, 2, 0), (Offset + 1, 0, 0), (Offset + 2, 0, 1));
        var best = Search(Window(3), logits)[0];
        double pStart = Math.Exp(2) / (Math.Exp(2) + 2), pEnd = Math.E / (Math.E + 2);
        Assert.Equal((0, 2), (best.FirstToken, best.LastToken));
        Assert.Equal(pStart * pEnd, best.Probability, 5);
    }

    [Fact]
    public void TheBestSpanOfAllWindowsWinsAndASpanSeenTwiceCountsOnceWithItsBetterScore()
    {
        // window 0 covers tokens 0..5, window 1 tokens 3..8: token 4..5 is in both
        var w0 = Window(6, firstToken: 0, index: 0);
        var w1 = Window(6, firstToken: 3, index: 1);
        var all = new List<SpanCandidate>();
        var settings = new QuestionAnsweringSettings(3, 64, 30, 20);
        AnswerSpanSearch.AddCandidates(w0, Logits(6, (Offset + 4, 3, 0), (Offset + 5, 0, 3)), settings, all);
        AnswerSpanSearch.AddCandidates(w1, Logits(6, (Offset + 1, 5, 0), (Offset + 2, 0, 4), (Offset + 5, 0, 2)), settings, all);
        var best = AnswerSpanSearch.Best(all, 10);
        Assert.Equal((4, 5), (best[0].FirstToken, best[0].LastToken));   // window 1's tokens 1..2 = example tokens 4..5
        Assert.Equal(9f, best[0].Logit);
        Assert.Single(best, c => (c.FirstToken, c.LastToken) == (4, 5));
        Assert.Equal(best.OrderByDescending(c => c.Logit).Select(c => c.Logit), best.Select(c => c.Logit));
    }
}
