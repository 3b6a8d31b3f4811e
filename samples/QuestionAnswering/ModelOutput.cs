namespace QuestionAnswering;

/// <summary>What the saved model writes for a <see cref="ModelInput"/>: the answer span and its probability.</summary>
public sealed class ModelOutput
{
    /// <summary>The answer, exactly as it is written in the context ("" when there is none).</summary>
    public string Answer { get; set; } = "";

    /// <summary>Where the answer starts in the context (-1 when there is none).</summary>
    public int AnswerStart { get; set; }

    /// <summary>The model's probability of the answer span.</summary>
    public float Score { get; set; }
}
