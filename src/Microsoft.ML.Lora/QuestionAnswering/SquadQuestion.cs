namespace Microsoft.ML.Lora;

/// <summary>
/// One question of a SQuAD v1.1 file, a row for <c>mlContext.Data.LoadFromEnumerable</c>: its columns are the defaults of
/// <see cref="LoraQuestionAnsweringOptions"/> (Context, Question, Answers, AnswerStarts) and of
/// <c>EvaluateQuestionAnswering</c> (the references: Answers).
/// </summary>
public sealed class SquadQuestion
{
    /// <summary>The question's id (<c>qas[].id</c>).</summary>
    public string Id { get; set; } = "";

    /// <summary>The article's title (<c>data[].title</c>).</summary>
    public string Title { get; set; } = "";

    /// <summary>The paragraph (<c>paragraphs[].context</c>).</summary>
    public string Context { get; set; } = "";

    /// <summary>The question (<c>qas[].question</c>).</summary>
    public string Question { get; set; } = "";

    /// <summary>The reference answers (<c>answers[].text</c>): one in SQuAD's train set, one to six in its dev set. Training uses the first.</summary>
    public string[] Answers { get; set; } = Array.Empty<string>();

    /// <summary>Each answer's first character in <see cref="Context"/> (<c>answers[].answer_start</c>, UTF-16 index).</summary>
    public int[] AnswerStarts { get; set; } = Array.Empty<int>();
}
