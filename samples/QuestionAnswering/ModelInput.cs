namespace QuestionAnswering;

/// <summary>What the saved model reads: a passage and a question about it.</summary>
public sealed class ModelInput
{
    /// <summary>The passage the answer is taken from.</summary>
    public string Context { get; set; } = "";

    /// <summary>The question.</summary>
    public string Question { get; set; } = "";
}
