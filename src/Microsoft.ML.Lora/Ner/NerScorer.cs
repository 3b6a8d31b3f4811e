using Microsoft.ML.Data;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.Ner;

/// <summary>Scores rows of words: one tag key and one confidence per word, for the batch scoring plumbing.</summary>
internal sealed class NerScorer : RowScorer<string[], NerPrediction>
{
    private readonly FineTunedModel model;
    private readonly NerTagSet tags;
    private readonly NerColumns columns;
    private readonly int overlap;
    private readonly int batchSize;
    private readonly IHost host;

    public NerScorer(DataViewSchema input, FineTunedModel model, NerTagSet tags, NerColumns columns, int overlap, int batchSize, IHost host)
    {
        NerColumnTypes.RequireWords(input, columns.Sentence, "Sentence");
        this.model = model;
        this.tags = tags;
        this.columns = columns;
        this.overlap = overlap;
        this.batchSize = batchSize;
        this.host = host;
        InputColumns = new[] { columns.Sentence };
        var keyAnnotations = new DataViewSchema.Annotations.Builder();
        new KeyValueNames("Text", tags.Tags).AddTo(keyAnnotations);
        Outputs = new[]
        {
            OutputColumn<NerPrediction>.Create<VBuffer<uint>>(columns.PredictedLabel, PredictedLabelType(tags.Count), keyAnnotations.ToAnnotations(),
                (in NerPrediction p, ref VBuffer<uint> dst) => Copy(p.Keys, ref dst)),
            OutputColumn<NerPrediction>.Create<VBuffer<float>>(columns.Confidence, new VectorDataViewType(NumberDataViewType.Single), null,
                (in NerPrediction p, ref VBuffer<float> dst) => Copy(p.Confidences, ref dst)),
        };
    }

    /// <summary>A variable-length vector of the tag key type.</summary>
    public static VectorDataViewType PredictedLabelType(int tagCount) => new(new KeyDataViewType(typeof(uint), tagCount));

    public override IReadOnlyList<string> InputColumns { get; }

    public override IReadOnlyList<OutputColumn<NerPrediction>> Outputs { get; }

    public override Func<string[]> CreateReader(DataViewRow row) => NerColumnTypes.WordReader(row, row.Schema[columns.Sentence]);

    public override NerPrediction[] Score(IReadOnlyList<string[]> inputs)
    {
        var result = NerScoring.Predict(model, tags, inputs, overlap, batchSize, out int clipped);
        if (clipped > 0)
        {
            using var ch = host.Start("Score");
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
