using Microsoft.ML.Lora.Tokenization;

namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>
/// Cuts a question and its context into model inputs the way Hugging Face's <c>run_qa.py</c> does
/// (<c>truncation="only_second"</c>, <c>return_overflowing_tokens</c>, <c>stride=doc_stride</c>): every window is
/// <c>[CLS] question [SEP] context part [SEP]</c>; a context longer than a window's room is read in windows that share
/// <c>stride</c> context tokens with the window before them, the last one ending at the context's end. Only the context
/// is cut; the question (at most the maximum question length) is in every window.
/// </summary>
/// <remarks>
/// Training labels follow <c>run_qa.py</c> too: the answer's first token is the last context token starting at or before its
/// first character, its last token the first context token ending at or after its end; a window that does not hold both
/// is labelled [CLS] (start = end = 0), which is how SQuAD v1.1 windows without the answer are trained.
/// </remarks>
internal static class DocumentWindows
{
    /// <summary>Cuts one example; a context without tokens has no window (there is nothing to answer from).</summary>
    /// <param name="example">The tokenized question and context.</param>
    /// <param name="maxLength">Longest input in tokens, special tokens included.</param>
    /// <param name="stride">Context tokens consecutive windows share; less than a window's room for context.</param>
    /// <param name="clsId">Id of [CLS].</param>
    /// <param name="sepId">Id of [SEP].</param>
    public static List<QuestionAnsweringWindow> Split(QuestionAnsweringExample example, int maxLength, int stride, int clsId, int sepId)
    {
        int q = example.QuestionIds.Length;
        int room = maxLength - 3 - q;
        if (room <= stride || stride < 0)
            throw new ArgumentOutOfRangeException(nameof(stride), stride,
                $"A window of {maxLength} tokens with a {q}-token question has room for {room} context tokens; the stride must be in [0, {room - 1}].");
        int n = example.Context.Count;
        var windows = new List<QuestionAnsweringWindow>(1 + Math.Max(0, n - room) / (room - stride) + 1);
        for (int from = 0; from < n;)
        {
            int to = Math.Min(from + room, n);
            windows.Add(Window(example, windows.Count, from, to, clsId, sepId));
            if (to == n) break;
            from = to - stride;
        }
        return windows;
    }

    /// <summary>
    /// The context tokens an answer at characters [<paramref name="start"/>, <paramref name="end"/>) spans: the last token
    /// starting at or before <paramref name="start"/> and the first ending at or after <paramref name="end"/>; -1 where
    /// there is none (an answer before the first token or after the last).
    /// </summary>
    public static (int First, int Last) AnswerTokens(OffsetEncodedText context, int start, int end)
    {
        int first = -1, last = -1;
        for (int t = 0; t < context.Count && context.Starts[t] <= start; t++) first = t;
        for (int t = context.Count - 1; t >= 0 && context.Ends[t] >= end; t--) last = t;
        return (first, last);
    }

    private static QuestionAnsweringWindow Window(QuestionAnsweringExample example, int index, int from, int to, int clsId, int sepId)
    {
        var question = example.QuestionIds;
        int offset = question.Length + 2;
        var ids = new int[offset + (to - from) + 1];
        ids[0] = clsId;
        question.CopyTo(ids, 1);
        ids[question.Length + 1] = sepId;
        for (int t = from; t < to; t++) ids[offset + t - from] = example.Context.Ids[t];
        ids[^1] = sepId;
        var types = new int[ids.Length];
        types.AsSpan(offset).Fill(1);
        bool inside = example.HasAlignedAnswer && example.FirstAnswerToken >= from && example.LastAnswerToken < to;
        return new QuestionAnsweringWindow(example, index, from, to - from, ids, types,
            inside ? offset + example.FirstAnswerToken - from : 0, inside ? offset + example.LastAnswerToken - from : 0);
    }
}
