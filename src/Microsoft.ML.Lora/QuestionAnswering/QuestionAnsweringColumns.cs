namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>The column names a question-answering transformer reads (the answer columns at training only) and writes.</summary>
internal sealed record QuestionAnsweringColumns(string Context, string Question, string Answer, string AnswerStart,
    string PredictedAnswer, string PredictedAnswerStart, string Score);

/// <summary>
/// How contexts are cut into windows and answers searched in them (see <see cref="LoraQuestionAnsweringOptions"/>):
/// context tokens shared by consecutive windows, question tokens kept, answer tokens at most, candidates per window.
/// </summary>
internal sealed record QuestionAnsweringSettings(int DocumentStride, int MaxQuestionLength, int MaxAnswerLength, int NBestSize)
{
    /// <summary>Throws naming the option when a window of <paramref name="maxLength"/> tokens cannot advance through a context.</summary>
    public void CheckFits(int maxLength)
    {
        int room = maxLength - 3 - MaxQuestionLength;   // [CLS] question [SEP] context [SEP], with the longest question
        if (room <= DocumentStride)
            throw new ArgumentOutOfRangeException(nameof(LoraQuestionAnsweringOptions.DocumentStride), DocumentStride,
                $"DocumentStride {DocumentStride} must be less than the {room} context tokens a window has room for with the longest question "
                + $"(MaxSequenceLength {maxLength} − 3 special tokens − MaxQuestionLength {MaxQuestionLength}): lower DocumentStride or MaxQuestionLength, or raise MaxSequenceLength.");
    }
}
