using Microsoft.ML.Data;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.Ner;

/// <summary>Scores rows of words: one tag key and one confidence per word, for the batch scoring plumbing.</summary>
internal sealed class NerScorer : RowScorer<string[], NerPrediction>
{
    private readonly FineTunedModel model;
    private readonly NerTask task;
    private readonly ScoringContext context;

    public NerScorer(DataViewSchema input, FineTunedModel model, NerTask task, ScoringContext context)
    {
        NerColumnTypes.RequireWords(input, task.Columns.Sentence, "Sentence");
        this.model = model;
        this.task = task;
        this.context = context;
        InputColumns = new[] { task.Columns.Sentence };
        var tags = new KeyValueNames("Text", task.Tags.Tags);
        var (predicted, confidence) = (task.Outputs[0], task.Outputs[1]);
        Outputs = new[]
        {
            predicted.Bind(PredictedLabelType(task.Tags.Count), tags, (in NerPrediction p, ref VBuffer<uint> dst) => Copy(p.Keys, ref dst)),
            confidence.Bind(new VectorDataViewType(NumberDataViewType.Single), null, (in NerPrediction p, ref VBuffer<float> dst) => Copy(p.Confidences, ref dst)),
        };
    }

    // A variable-length vector of the tag key type.
    private static VectorDataViewType PredictedLabelType(int tagCount) => new(new KeyDataViewType(typeof(uint), tagCount));

    public override IReadOnlyList<string> InputColumns { get; }

    public override IReadOnlyList<OutputColumn<NerPrediction>> Outputs { get; }

    public override Func<string[]> CreateReader(DataViewRow row) => NerColumnTypes.WordReader(row, row.Schema[task.Columns.Sentence]);

    public override NerPrediction[] Score(IReadOnlyList<string[]> inputs)
    {
        var result = NerScoring.Predict(model, task.Tags, inputs, task.WindowOverlap, context.BatchSize, out int clipped);
        if (clipped > 0)
        {
            using var ch = context.Host.Start("Score");
            ch.Warning($"{clipped} word(s) of the scored rows have more than {model.MaxSequenceLength - 2} sub-tokens; each is tagged from its first ones.");
        }
        return result;
    }

    private static void Copy<T>(T[] values, ref VBuffer<T> dst)
    {
        var editor = VBufferEditor.Create(ref dst, values.Length);
        values.CopyTo(editor.Values);
        dst = editor.Commit();
    }
}
