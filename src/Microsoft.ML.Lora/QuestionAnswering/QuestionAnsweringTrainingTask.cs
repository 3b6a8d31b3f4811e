using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Lora.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>
/// Span extraction for the shared training loop: the mean of the start and the end cross-entropy over each window's
/// tokens (padding masked out; windows without the answer are labelled [CLS]), and as the validation metric the mean SQuAD
/// F1 of each question's best span over all its windows against its gold answer.
/// </summary>
internal sealed class QuestionAnsweringTrainingTask(int padId, bool useTokenTypes, QuestionAnsweringSettings settings) : ITrainingTask<QuestionAnsweringWindow>
{
    // Far below any real logit, and representable in bf16 (a mixed-precision forward may hand back bf16 logits).
    private const float MaskedLogit = -10_000f;

    public int Length(QuestionAnsweringWindow e) => e.Ids.Length;

    public TaskBatch Collate(IReadOnlyList<QuestionAnsweringWindow> examples, Device device)
    {
        var rows = PaddedBatch.Create(examples.Select(e => e.Ids).ToList(), useTokenTypes ? examples.Select(e => e.TypeIds).ToList() : null, padId);
        var (ids, mask, types) = rows.ToTensors(device);
        var labels = examples.SelectMany(e => new long[] { e.StartPosition, e.EndPosition }).ToArray();
        return new TaskBatch(ids, mask, types, tensor(labels, new long[] { examples.Count, 2 }, device: device));
    }

    public Tensor Loss(Tensor logits, TaskBatch batch)
    {
        var padding = batch.AttentionMask.eq(0);
        var start = logits.select(-1, 0).masked_fill(padding, MaskedLogit).to(ScalarType.Float32);
        var end = logits.select(-1, 1).masked_fill(padding, MaskedLogit).to(ScalarType.Float32);
        return (nn.functional.cross_entropy(start, batch.Labels.select(1, 0)) + nn.functional.cross_entropy(end, batch.Labels.select(1, 1))) / 2;
    }

    public IMetricAccumulator<QuestionAnsweringWindow> CreateMetric() => new SquadF1(settings);

    /// <summary>Collects each question's span candidates from all its windows, then scores its best span against the gold answer.</summary>
    private sealed class SquadF1(QuestionAnsweringSettings settings) : IMetricAccumulator<QuestionAnsweringWindow>
    {
        private readonly Dictionary<QuestionAnsweringExample, List<SpanCandidate>> candidates = new();

        public void Add(Tensor logits, IReadOnlyList<QuestionAnsweringWindow> examples)
        {
            long length = logits.shape[1];
            var values = logits.to(ScalarType.Float32).cpu().data<float>().ToArray();
            for (int i = 0; i < examples.Count; i++)
            {
                var w = examples[i];
                if (!candidates.TryGetValue(w.Example, out var list)) candidates[w.Example] = list = new List<SpanCandidate>();
                AnswerSpanSearch.AddCandidates(w, values.AsSpan((int)(i * length * 2), w.Ids.Length * 2), settings, list);
            }
        }

        public double Value => candidates.Count == 0 ? 0 : candidates.Average(kv =>
        {
            var best = AnswerSpanSearch.Best(kv.Value, 1);
            string predicted = best.Count == 0 ? "" : kv.Key.Context.Substring(best[0].FirstToken, best[0].LastToken);
            return SquadScore.F1(predicted, kv.Key.Answer ?? "");
        });
    }
}
