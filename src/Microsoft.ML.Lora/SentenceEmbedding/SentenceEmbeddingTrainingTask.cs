using Microsoft.ML.Lora.Statistics;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Lora.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.SentenceEmbedding;

/// <summary>
/// Sentence pairs for the shared training loop. A batch of n pairs is one encoder batch of 2n sentences (first sentences,
/// then second ones), so the model's output [2n, hidden] holds u = rows 0..n-1 and v = rows n..2n-1. Loss: sentence-
/// transformers' <c>CosineSimilarityLoss</c> or <c>MultipleNegativesRankingLoss</c>. Validation metric: the Spearman
/// correlation of cos(u, v) with the scores (STS-B's measure), or, for pairs without scores, the share of anchors whose own
/// positive is the nearest in their batch.
/// </summary>
internal sealed class SentenceEmbeddingTrainingTask(int padId, SentenceEmbeddingLoss loss, double scale) : ITrainingTask<SentencePair>
{
    // The batch pads to its longest sentence of either side.
    public int Length(SentencePair e) => Math.Max(e.Ids1.Length, e.Ids2.Length);

    public TaskBatch Collate(IReadOnlyList<SentencePair> examples, Device device)
    {
        var rows = examples.Select(e => e.Ids1).Concat(examples.Select(e => e.Ids2)).ToList();
        // Token types stay null (all zero), as sentence-transformers encodes each sentence on its own.
        var (ids, mask, _) = PaddedBatch.Create(rows, null, padId).ToTensors(device);
        return new TaskBatch(ids, mask, null, tensor(examples.Select(e => e.Score).ToArray(), device: device));
    }

    public Tensor Loss(Tensor embeddings, TaskBatch batch)
    {
        var (u, v) = Halves(embeddings);
        return loss == SentenceEmbeddingLoss.CosineSimilarity
            // The embeddings are unit length: cos(u, v) is their dot product.
            ? nn.functional.mse_loss((u * v).sum(1), batch.Labels)
            : nn.functional.cross_entropy(u.mm(v.t()) * scale, arange(u.shape[0], dtype: ScalarType.Int64, device: u.device));
    }

    public IMetricAccumulator<SentencePair> CreateMetric() => new Metric();

    private static (Tensor U, Tensor V) Halves(Tensor embeddings)
    {
        long n = embeddings.shape[0] / 2;
        return (embeddings.narrow(0, 0, n), embeddings.narrow(0, n, n));
    }

    private sealed class Metric : IMetricAccumulator<SentencePair>
    {
        private readonly List<double> cosines = new(), scores = new();
        private long nearest, total;

        public void Add(Tensor embeddings, IReadOnlyList<SentencePair> examples)
        {
            var (u, v) = Halves(embeddings.to(ScalarType.Float32));
            cosines.AddRange((u * v).sum(1).cpu().data<float>().ToArray().Select(c => (double)c));
            scores.AddRange(examples.Select(e => (double)e.Score));
            var best = u.mm(v.t()).argmax(1).cpu().data<long>().ToArray();
            for (int i = 0; i < best.Length; i++) if (best[i] == i) nearest++;
            total += best.Length;
        }

        public double Value
        {
            get
            {
                if (scores.Count < 2 || scores.Any(double.IsNaN) || scores.Distinct().Count() < 2)
                    return total == 0 ? 0 : (double)nearest / total;
                double rho = Correlation.Spearman(cosines.ToArray(), scores.ToArray());
                return double.IsNaN(rho) ? -1 : rho;   // every cosine equal: a collapsed model, the worst score
            }
        }
    }
}
