using Microsoft.ML.Lora.Tokenization;

namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>
/// One question and its context, tokenized once: the question's ids (at most the maximum question length), the context's
/// sub-tokens with their character ranges, and for training the gold answer and the context tokens it spans.
/// </summary>
internal sealed class QuestionAnsweringExample
{
    public QuestionAnsweringExample(int row, int[] questionIds, OffsetEncodedText context, string? answer = null, int firstAnswerToken = -1, int lastAnswerToken = -1)
    {
        Row = row;
        QuestionIds = questionIds;
        Context = context;
        Answer = answer;
        FirstAnswerToken = firstAnswerToken;
        LastAnswerToken = lastAnswerToken;
    }

    /// <summary>The row the example was read from.</summary>
    public int Row { get; }

    public int[] QuestionIds { get; }

    public OffsetEncodedText Context { get; }

    /// <summary>The gold answer text (training and validation), else null.</summary>
    public string? Answer { get; }

    /// <summary>The context token the gold answer starts in, or -1 (no gold answer, or none of the tokens starts at or before it).</summary>
    public int FirstAnswerToken { get; }

    /// <summary>The context token the gold answer ends in, or -1.</summary>
    public int LastAnswerToken { get; }

    /// <summary>Whether the gold answer covers whole context tokens that a window can hold.</summary>
    public bool HasAlignedAnswer => FirstAnswerToken >= 0 && LastAnswerToken >= FirstAnswerToken;
}

/// <summary>
/// One model input cut from an example: <c>[CLS] question [SEP] context tokens [FirstToken, FirstToken + TokenCount) [SEP]</c>,
/// token types 0 for the first segment and 1 for the context and its [SEP] (BERT's pair layout). For training,
/// <see cref="StartPosition"/> and <see cref="EndPosition"/> are where the answer starts and ends in <see cref="Ids"/>, or both 0
/// ([CLS]) when the answer is not wholly inside the window.
/// </summary>
internal sealed class QuestionAnsweringWindow
{
    public QuestionAnsweringWindow(QuestionAnsweringExample example, int index, int firstToken, int tokenCount, int[] ids, int[] typeIds,
        int startPosition, int endPosition)
    {
        Example = example;
        Index = index;
        FirstToken = firstToken;
        TokenCount = tokenCount;
        Ids = ids;
        TypeIds = typeIds;
        StartPosition = startPosition;
        EndPosition = endPosition;
    }

    public QuestionAnsweringExample Example { get; }

    /// <summary>The window's place among its example's windows (0 = first).</summary>
    public int Index { get; }

    /// <summary>The example's context token the window starts at.</summary>
    public int FirstToken { get; }

    /// <summary>How many context tokens the window holds.</summary>
    public int TokenCount { get; }

    /// <summary>Where the context starts in <see cref="Ids"/>: after [CLS], the question and [SEP].</summary>
    public int ContextOffset => Example.QuestionIds.Length + 2;

    public int[] Ids { get; }

    public int[] TypeIds { get; }

    /// <summary>Training label: the answer's first token's position in <see cref="Ids"/>, 0 ([CLS]) when the window lacks the answer.</summary>
    public int StartPosition { get; }

    /// <summary>Training label: the answer's last token's position in <see cref="Ids"/>, 0 ([CLS]) when the window lacks the answer.</summary>
    public int EndPosition { get; }

    /// <summary>Whether the window holds the whole gold answer (its labels are not [CLS]).</summary>
    public bool HasAnswer => StartPosition > 0;
}
