using Microsoft.ML.Lora.Pipeline;

namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>
/// Answers many questions at once: each (context, question) cut into windows (<see cref="DocumentWindows"/>), all windows
/// scored in length-sorted batches, each question's best spans searched over its windows (<see cref="AnswerSpanSearch"/>)
/// and turned back into exact substrings of its context through the tokens' character ranges.
/// </summary>
internal static class QuestionAnsweringScoring
{
    /// <summary>
    /// The best <paramref name="count"/> answers of each input, best first; none for a context or a question without tokens
    /// (empty or only whitespace and control characters).
    /// </summary>
    public static List<AnswerSpan>[] Predict(FineTunedModel model, QuestionAnsweringSettings settings, IReadOnlyList<(string Context, string Question)> inputs,
        int batchSize, int count, out int truncatedQuestions)
    {
        var tokenizer = model.Tokenizer;
        truncatedQuestions = 0;
        var examples = new QuestionAnsweringExample[inputs.Count];
        var windows = new List<QuestionAnsweringWindow>();
        for (int i = 0; i < inputs.Count; i++)
        {
            examples[i] = QuestionAnsweringRows.Encode(tokenizer, i, inputs[i].Context ?? "", inputs[i].Question ?? "", settings.MaxQuestionLength, out bool cut);
            if (cut) truncatedQuestions++;
            if (examples[i].QuestionIds.Length > 0)
                windows.AddRange(DocumentWindows.Split(examples[i], model.MaxSequenceLength, settings.DocumentStride, tokenizer.ClsId, tokenizer.SepId));
        }
        var logits = BatchedLogits.Compute(model, windows.Select(w => w.Ids).ToList(), windows.Select(w => w.TypeIds).ToList(), batchSize, perToken: true);
        var candidates = examples.Select(_ => new List<SpanCandidate>()).ToArray();
        for (int k = 0; k < windows.Count; k++) AnswerSpanSearch.AddCandidates(windows[k], logits[k], settings, candidates[windows[k].Example.Row]);
        return examples.Select((e, i) => AnswerSpanSearch.Best(candidates[i], count)
            .Select(c => new AnswerSpan(e.Context.Substring(c.FirstToken, c.LastToken), e.Context.Starts[c.FirstToken], c.Probability)).ToList()).ToArray();
    }
}
