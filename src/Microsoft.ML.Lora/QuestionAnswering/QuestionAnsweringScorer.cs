using Microsoft.ML.Data;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>Scores rows of (context, question): the best answer, where it starts and its probability, for the batch scoring plumbing.</summary>
internal sealed class QuestionAnsweringScorer : RowScorer<(string Context, string Question), AnswerSpan>
{
    /// <summary>What a row without an answer gets: an empty context or question (no tokens), or no span that fits the rules.</summary>
    public static readonly AnswerSpan NoAnswer = new("", -1, 0f);

    private readonly FineTunedModel model;
    private readonly QuestionAnsweringTask task;
    private readonly ScoringContext context;

    public QuestionAnsweringScorer(DataViewSchema input, FineTunedModel model, QuestionAnsweringTask task, ScoringContext context)
    {
        ColumnChecks.RequireText(input, task.Columns.Context, "Context");
        ColumnChecks.RequireText(input, task.Columns.Question, "Question");
        this.model = model;
        this.task = task;
        this.context = context;
        InputColumns = new[] { task.Columns.Context, task.Columns.Question };
        var (answer, start, score) = (task.Outputs[0], task.Outputs[1], task.Outputs[2]);
        Outputs = new[]
        {
            answer.Bind(TextDataViewType.Instance, null, (in AnswerSpan a, ref ReadOnlyMemory<char> dst) => dst = a.Text.AsMemory()),
            start.Bind(NumberDataViewType.Int32, null, (in AnswerSpan a, ref int dst) => dst = a.Start),
            score.Bind(NumberDataViewType.Single, null, (in AnswerSpan a, ref float dst) => dst = a.Score),
        };
    }

    public override IReadOnlyList<string> InputColumns { get; }

    public override IReadOnlyList<OutputColumn<AnswerSpan>> Outputs { get; }

    public override Func<(string Context, string Question)> CreateReader(DataViewRow row) => QuestionAnsweringRows.Reader(row, task.Columns);

    public override AnswerSpan[] Score(IReadOnlyList<(string Context, string Question)> inputs)
    {
        var answers = QuestionAnsweringScoring.Predict(model, task.Settings, inputs, context.BatchSize, 1, out int truncated);
        if (truncated > 0)
        {
            using var ch = context.Host.Start("Score");
            ch.Warning($"{truncated} of {inputs.Count} scored question(s) exceed {task.Settings.MaxQuestionLength} tokens (MaxQuestionLength) and were read from their first ones.");
        }
        return answers.Select(a => a.Count > 0 ? a[0] : NoAnswer).ToArray();
    }
}
