using Microsoft.ML.Data;
using Microsoft.ML.Lora.Calibration;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>Scores rows of text (or text pairs): tokenize, batched logits, softmax with the task's temperature.</summary>
internal sealed class TextClassificationScorer : RowScorer<(string Text, string? Pair), float[]>
{
    private readonly FineTunedModel model;
    private readonly TextClassificationTask task;
    private readonly ScoringContext context;

    public TextClassificationScorer(DataViewSchema input, FineTunedModel model, TextClassificationTask task, ScoringContext context)
    {
        task.Columns.Text.Require(input);
        this.model = model;
        this.task = task;
        this.context = context;
        InputColumns = task.Columns.Text.Names;
        int classes = model.Head.Outputs;
        var (score, predicted) = (task.Outputs[0], task.Outputs[1]);
        Outputs = new[]
        {
            score.Bind(new VectorDataViewType(NumberDataViewType.Single, classes), task.Labels,
                (in float[] p, ref VBuffer<float> dst) =>
                {
                    var editor = VBufferEditor.Create(ref dst, p.Length);
                    p.CopyTo(editor.Values);
                    dst = editor.Commit();
                }),
            predicted.Bind(new KeyDataViewType(typeof(uint), classes), task.Labels, (in float[] p, ref uint dst) => dst = (uint)Softmax.ArgMax(p) + 1),
        };
    }

    public override IReadOnlyList<string> InputColumns { get; }

    public override IReadOnlyList<OutputColumn<float[]>> Outputs { get; }

    public override Func<(string Text, string? Pair)> CreateReader(DataViewRow row) => TextRows.Reader(row, task.Columns.Text);

    public override float[][] Score(IReadOnlyList<(string Text, string? Pair)> inputs)
    {
        int truncated = 0;
        var rows = new List<ClassificationExample>(inputs.Count);
        foreach (var (text, pair) in inputs)
        {
            var encoded = TextRows.Encode(model.Tokenizer, model.MaxSequenceLength, text, pair, out bool cut);
            rows.Add(new ClassificationExample(encoded.Ids, encoded.TypeIds, Label: -1));
            if (cut) truncated++;
        }
        if (truncated > 0)
        {
            using var ch = context.Host.Start("Score");
            ch.Warning($"{truncated} of {inputs.Count} scored row(s) exceed {model.MaxSequenceLength} tokens and were truncated.");
        }
        return TextClassificationScoring.Logits(model, rows, context.BatchSize).Select(l => Softmax.Probabilities(l, task.Temperature)).ToArray();
    }
}
