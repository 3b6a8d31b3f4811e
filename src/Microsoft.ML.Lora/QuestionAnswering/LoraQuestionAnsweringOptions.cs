namespace Microsoft.ML.Lora;

/// <summary>
/// Options of <see cref="LoraQuestionAnsweringEstimator"/>: the columns, how long contexts are cut into windows and how
/// answers are searched, plus everything in <see cref="FineTuningOptions"/>. The defaults read the rows of
/// <see cref="SquadReader"/> and follow Hugging Face's <c>run_qa.py</c> (stride 128, n-best 20, answers up to 30 tokens).
/// </summary>
public sealed class LoraQuestionAnsweringOptions : FineTuningOptions
{
    /// <summary>The passage the answer is extracted from (String). Default "Context".</summary>
    public string ContextColumnName { get; set; } = "Context";

    /// <summary>The question (String). Default "Question".</summary>
    public string QuestionColumnName { get; set; } = "Question";

    /// <summary>
    /// Training only: the gold answer text, a String or a vector of String whose first item is trained on (SQuAD's
    /// <c>answers.text[0]</c>, as Hugging Face trains). It must be the context's text at <see cref="AnswerStartColumnName"/>.
    /// Default "Answers".
    /// </summary>
    public string AnswerColumnName { get; set; } = "Answers";

    /// <summary>
    /// Training only: the answer's first character in the context (0-based UTF-16 index, SQuAD's <c>answer_start</c>), an
    /// integer (or a whole Single/Double) or a vector of them whose first item goes with the first answer. Default "AnswerStarts".
    /// </summary>
    public string AnswerStartColumnName { get; set; } = "AnswerStarts";

    /// <summary>Output: the predicted answer, an exact substring of the context (String; empty when there is none). Default "Answer".</summary>
    public string PredictedAnswerColumnName { get; set; } = "Answer";

    /// <summary>Output: where the predicted answer starts in the context (Int32, UTF-16 index; -1 when there is none). Default "AnswerStart".</summary>
    public string PredictedAnswerStartColumnName { get; set; } = "AnswerStart";

    /// <summary>
    /// Output: the model's probability of the answer span (Single): P(start) · P(end), each a softmax over the context
    /// tokens of the window it came from, as Hugging Face's question-answering pipeline scores; 0 when there is none. Default "Score".
    /// </summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>
    /// A context that does not fit in one input (question + context ≤ <see cref="FineTuningOptions.MaxSequenceLength"/>) is
    /// read in overlapping windows that share this many context tokens (Hugging Face's <c>doc_stride</c>); only the context
    /// is cut, every window holds the whole question. Default 128; must be less than what a window has room for.
    /// </summary>
    public int DocumentStride { get; set; } = 128;

    /// <summary>Questions longer than this many tokens keep their first ones (BERT's <c>max_query_length</c>). Default 64.</summary>
    public int MaxQuestionLength { get; set; } = 64;

    /// <summary>Longest answer considered, in tokens (Hugging Face's <c>max_answer_length</c>). Default 30.</summary>
    public int MaxAnswerLength { get; set; } = 30;

    /// <summary>Start and end candidates per window, the best ones by logit, whose pairs are searched (<c>n_best_size</c>). Default 20.</summary>
    public int NBestSize { get; set; } = 20;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        var names = new[]
        {
            (nameof(ContextColumnName), ContextColumnName), (nameof(QuestionColumnName), QuestionColumnName),
            (nameof(AnswerColumnName), AnswerColumnName), (nameof(AnswerStartColumnName), AnswerStartColumnName),
            (nameof(PredictedAnswerColumnName), PredictedAnswerColumnName), (nameof(PredictedAnswerStartColumnName), PredictedAnswerStartColumnName),
            (nameof(ScoreColumnName), ScoreColumnName),
        };
        foreach (var (name, value) in names) Pipeline.OptionChecks.ColumnName(value, name);
        var outputs = new[] { PredictedAnswerColumnName, PredictedAnswerStartColumnName, ScoreColumnName };
        if (outputs.Distinct(StringComparer.Ordinal).Count() != outputs.Length)
            throw new ArgumentException($"PredictedAnswerColumnName, PredictedAnswerStartColumnName and ScoreColumnName must differ, got '{string.Join("', '", outputs)}'.", nameof(ScoreColumnName));
        Pipeline.OptionChecks.InRange(DocumentStride, 0, int.MaxValue, nameof(DocumentStride));
        Pipeline.OptionChecks.InRange(MaxQuestionLength, 1, int.MaxValue, nameof(MaxQuestionLength));
        Pipeline.OptionChecks.InRange(MaxAnswerLength, 1, int.MaxValue, nameof(MaxAnswerLength));
        Pipeline.OptionChecks.InRange(NBestSize, 1, int.MaxValue, nameof(NBestSize));
    }
}
