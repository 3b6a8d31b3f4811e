using Microsoft.ML.Data;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>Scores rows of text (or text pairs): tokenize, batched logits, softmax with the fitted temperature.</summary>
internal sealed class TextClassificationScorer : RowScorer<(string Text, string? Pair), float[]>
{
    private readonly FineTunedModel model;
    private readonly TextClassificationColumns columns;
    private readonly float temperature;
    private readonly int batchSize;
    private readonly IHost host;

    public TextClassificationScorer(DataViewSchema input, FineTunedModel model, TextClassificationColumns columns, int classes,
        KeyValueNames? labels, float temperature, int batchSize, IHost host)
    {
        ColumnChecks.RequireText(input, columns.Sentence1, "Sentence1");
        if (columns.Sentence2 is { } s2) ColumnChecks.RequireText(input, s2, "Sentence2");
        this.model = model;
        this.columns = columns;
        this.temperature = temperature;
        this.batchSize = batchSize;
        this.host = host;
        InputColumns = columns.Sentence2 is null ? new[] { columns.Sentence1 } : new[] { columns.Sentence1, columns.Sentence2 };

        var scoreAnn = new DataViewSchema.Annotations.Builder();
        labels?.AddSlotNames(scoreAnn);
        var keyAnn = new DataViewSchema.Annotations.Builder();
        labels?.AddTo(keyAnn);
        Outputs = new[]
        {
            OutputColumn<float[]>.Create<VBuffer<float>>(columns.Score, new VectorDataViewType(NumberDataViewType.Single, classes), scoreAnn.ToAnnotations(),
                (in float[] p, ref VBuffer<float> dst) =>
                {
                    var editor = VBufferEditor.Create(ref dst, p.Length);
                    p.CopyTo(editor.Values);
                    dst = editor.Commit();
                }),
            OutputColumn<float[]>.Create<uint>(columns.PredictedLabel, new KeyDataViewType(typeof(uint), classes), keyAnn.ToAnnotations(),
                (in float[] p, ref uint dst) => dst = (uint)Softmax.ArgMax(p) + 1),
        };
    }

    public override IReadOnlyList<string> InputColumns { get; }

    public override IReadOnlyList<OutputColumn<float[]>> Outputs { get; }

    public override Func<(string Text, string? Pair)> CreateReader(DataViewRow row)
    {
        var get1 = row.GetGetter<ReadOnlyMemory<char>>(row.Schema[columns.Sentence1]);
        var get2 = columns.Sentence2 is { } s2 ? row.GetGetter<ReadOnlyMemory<char>>(row.Schema[s2]) : null;
        ReadOnlyMemory<char> a = default, b = default;
        return () =>
        {
            get1(ref a);
            get2?.Invoke(ref b);
            return (a.ToString(), get2 is null ? null : b.ToString());
        };
    }

    public override float[][] Score(IReadOnlyList<(string Text, string? Pair)> inputs)
    {
        int truncated = 0;
        var ids = new List<int[]>(inputs.Count);
        var types = new List<int[]>(inputs.Count);
        foreach (var (text, pair) in inputs)
        {
            var enc = model.Tokenizer.Encode(text, pair, model.MaxSequenceLength);
            if (enc.Truncated) truncated++;
            ids.Add(enc.InputIds.ToArray());
            types.Add(enc.TokenTypeIds.ToArray());
        }
        if (truncated > 0)
        {
            using var ch = host.Start("Score");
            ch.Warning($"{truncated} of {inputs.Count} scored row(s) exceed {model.MaxSequenceLength} tokens and were truncated.");
        }
        return TextClassificationScoring.Logits(model, ids, types, batchSize)
            .Select(l => Softmax.Probabilities(l, temperature)).ToArray();
    }
}
