namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>A possible answer: context tokens [<see cref="FirstToken"/>, <see cref="LastToken"/>] of an example, its logit sum and probability.</summary>
internal readonly record struct SpanCandidate(int FirstToken, int LastToken, float Logit, float Probability);

/// <summary>
/// The best answer spans from the start and end logits of an example's windows, as Hugging Face's
/// <c>postprocess_qa_predictions</c> finds them: per window, the <c>n_best</c> highest start and end logits among the
/// context's tokens; every pair with start ≤ end and at most the maximum answer length; ranked by start + end logit over
/// all windows (a span seen in two overlapping windows counts once, with its better score). A span's probability is that
/// of Hugging Face's question-answering pipeline: P(start) · P(end), each a softmax over the window's context tokens.
/// </summary>
internal static class AnswerSpanSearch
{
    /// <summary>
    /// Adds the candidates of one window to <paramref name="into"/>. <paramref name="logits"/> holds (start, end) per
    /// token of the window's ids, token-major (what the head gives for the window).
    /// </summary>
    public static void AddCandidates(QuestionAnsweringWindow window, ReadOnlySpan<float> logits, QuestionAnsweringSettings settings, List<SpanCandidate> into)
    {
        int n = window.TokenCount, offset = window.ContextOffset;
        if (n == 0) return;
        if (logits.Length < (offset + n) * 2)
            throw new ArgumentException($"Got {logits.Length} logits for a window of {window.Ids.Length} tokens; expected 2 per token.", nameof(logits));
        var start = new float[n];
        var end = new float[n];
        for (int i = 0; i < n; i++)
        {
            start[i] = logits[(offset + i) * 2];
            end[i] = logits[(offset + i) * 2 + 1];
        }
        double startNorm = LogSumExp(start), endNorm = LogSumExp(end);
        var starts = Top(start, settings.NBestSize);
        var ends = Top(end, settings.NBestSize);
        foreach (int i in starts)
            foreach (int j in ends)
            {
                if (j < i || j - i + 1 > settings.MaxAnswerLength) continue;
                into.Add(new SpanCandidate(window.FirstToken + i, window.FirstToken + j, start[i] + end[j],
                    (float)Math.Exp(start[i] - startNorm + end[j] - endNorm)));
            }
    }

    /// <summary>The <paramref name="count"/> best distinct spans, best first (ties keep window order).</summary>
    public static List<SpanCandidate> Best(IEnumerable<SpanCandidate> candidates, int count)
        => candidates.GroupBy(c => (c.FirstToken, c.LastToken)).Select(g => g.MaxBy(c => c.Logit))
            .OrderByDescending(c => c.Logit).Take(count).ToList();

    /// <summary>Indices of the <paramref name="count"/> largest values, largest first (stable on ties).</summary>
    private static int[] Top(float[] values, int count)
        => Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).Take(count).ToArray();

    private static double LogSumExp(float[] values)
    {
        double max = values.Max(), sum = 0;
        foreach (var v in values) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
