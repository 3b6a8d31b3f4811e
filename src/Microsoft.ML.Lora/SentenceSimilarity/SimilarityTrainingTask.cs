using Microsoft.ML.Lora.Statistics;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Lora.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.SentenceSimilarity;

/// <summary>A tokenized sentence pair: ids with [CLS] a [SEP] b [SEP], token types, and its similarity on the data's scale.</summary>
internal sealed record SimilarityExample(int[] Ids, int[] TypeIds, float Label);

/// <summary>
/// Sentence-pair regression for the shared training loop: the head's one output learns the standardised label
/// (<see cref="LabelScale"/>) with mean squared error, so the loss reads as the share of the labels' variance left
/// unexplained (1 = predicting the mean); the validation metric is Spearman's rank correlation (what STS-B reports; -1 when
/// undefined, e.g. constant predictions).
/// </summary>
internal sealed class SimilarityTrainingTask(int padId, bool useTokenTypes, LabelScale scale) : ITrainingTask<SimilarityExample>
{
    public int Length(SimilarityExample e) => e.Ids.Length;

    public TaskBatch Collate(IReadOnlyList<SimilarityExample> examples, Device device)
    {
        var p = PaddedBatch.Create(examples.Select(e => e.Ids).ToList(), useTokenTypes ? examples.Select(e => e.TypeIds).ToList() : null, padId);
        var (ids, mask, types) = p.ToTensors(device);
        return new TaskBatch(ids, mask, types, tensor(examples.Select(e => scale.Standardize(e.Label)).ToArray(), device: device));
    }

    public Tensor Loss(Tensor logits, TaskBatch batch) => nn.functional.mse_loss(logits.squeeze(1).to(ScalarType.Float32), batch.Labels);

    public IMetricAccumulator<SimilarityExample> CreateMetric() => new SpearmanMetric();

    private sealed class SpearmanMetric : IMetricAccumulator<SimilarityExample>
    {
        private readonly List<double> predicted = new(), gold = new();

        public void Add(Tensor logits, IReadOnlyList<SimilarityExample> examples)
        {
            predicted.AddRange(logits.squeeze(1).to(ScalarType.Float32).cpu().data<float>().ToArray().Select(v => (double)v));
            gold.AddRange(examples.Select(e => (double)e.Label));
        }

        public double Value
        {
            get
            {
                if (predicted.Count < 2 || predicted.Any(v => !double.IsFinite(v))) return -1;
                double rho = Correlation.Spearman(predicted.ToArray(), gold.ToArray());
                return double.IsNaN(rho) ? -1 : rho;
            }
        }
    }
}
