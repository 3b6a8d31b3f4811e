using Microsoft.ML.Data;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.SentenceSimilarity;

/// <summary>Scores sentence pairs: tokenize as [CLS] a [SEP] b [SEP], batched model output (already on the labels' scale).</summary>
internal sealed class SentenceSimilarityScorer : RowScorer<(string Text, string? Pair), float>
{
    private readonly FineTunedModel model;
    private readonly SentenceSimilarityTask task;
    private readonly ScoringContext context;

    public SentenceSimilarityScorer(DataViewSchema input, FineTunedModel model, SentenceSimilarityTask task, ScoringContext context)
    {
        task.Columns.Text.Require(input);
        this.model = model;
        this.task = task;
        this.context = context;
        InputColumns = task.Columns.Text.Names;
        Outputs = new[] { task.Outputs[0].Bind(NumberDataViewType.Single, null, (in float score, ref float dst) => dst = score) };
    }

    public override IReadOnlyList<string> InputColumns { get; }

    public override IReadOnlyList<OutputColumn<float>> Outputs { get; }

    public override Func<(string Text, string? Pair)> CreateReader(DataViewRow row) => TextRows.Reader(row, task.Columns.Text);

    public override float[] Score(IReadOnlyList<(string Text, string? Pair)> inputs)
    {
        var scores = SentenceSimilarityScoring.Scores(model, inputs, context.BatchSize, out int truncated);
        if (truncated > 0)
        {
            using var ch = context.Host.Start("Score");
            ch.Warning($"{truncated} of {inputs.Count} scored pair(s) exceed {model.MaxSequenceLength} tokens and were truncated.");
        }
        return scores;
    }
}
