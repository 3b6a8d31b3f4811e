using Microsoft.ML.Data;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.SentenceEmbedding;

/// <summary>
/// Embeds the rows' <see cref="SentenceEmbeddingColumns.Sentence1"/> text in batches: tokenize ([CLS] text [SEP], token
/// types zero), mean-pool, normalise. An empty text gets the embedding of [CLS] [SEP], as sentence-transformers gives it.
/// </summary>
internal sealed class SentenceEmbeddingScorer : RowScorer<string, float[]>
{
    private readonly FineTunedModel model;
    private readonly TextColumns text;
    private readonly ScoringContext context;

    public SentenceEmbeddingScorer(DataViewSchema input, FineTunedModel model, SentenceEmbeddingTask task, ScoringContext context)
    {
        text = new TextColumns(task.Columns.Sentence1, null);
        text.Require(input);
        this.model = model;
        this.context = context;
        InputColumns = text.Names;
        Outputs = new[]
        {
            task.Outputs[0].Bind(new VectorDataViewType(NumberDataViewType.Single, model.Model.NumLabels), null, (in float[] e, ref VBuffer<float> dst) =>
            {
                var editor = VBufferEditor.Create(ref dst, e.Length);
                e.CopyTo(editor.Values);
                dst = editor.Commit();
            }),
        };
    }

    public override IReadOnlyList<string> InputColumns { get; }

    public override IReadOnlyList<OutputColumn<float[]>> Outputs { get; }

    public override Func<string> CreateReader(DataViewRow row)
    {
        var read = TextRows.Reader(row, text);
        return () => read().Text;
    }

    public override float[][] Score(IReadOnlyList<string> inputs)
    {
        int truncated = 0;
        var ids = new List<int[]>(inputs.Count);
        foreach (var t in inputs)
        {
            ids.Add(TextRows.Encode(model.Tokenizer, model.MaxSequenceLength, t, null, out bool cut).Ids);
            if (cut) truncated++;
        }
        if (truncated > 0)
        {
            using var ch = context.Host.Start("Score");
            ch.Warning($"{truncated} of {inputs.Count} scored row(s) exceed {model.MaxSequenceLength} tokens and were truncated.");
        }
        return BatchedLogits.Compute(model, ids, null, context.BatchSize, perToken: false);
    }
}
