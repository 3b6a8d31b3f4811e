using Microsoft.ML.Lora.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>A tokenized training example: ids with [CLS]/[SEP], token types, and the 0-based class.</summary>
internal sealed record ClassificationExample(int[] Ids, int[] TypeIds, int Label);

/// <summary>Sentence classification for the shared training loop: cross-entropy, accuracy as the validation metric.</summary>
internal sealed class TextClassificationTrainingTask(int padId, bool useTokenTypes) : ITrainingTask<ClassificationExample>
{
    public int Length(ClassificationExample e) => e.Ids.Length;

    public TaskBatch Collate(IReadOnlyList<ClassificationExample> examples, Device device)
    {
        int b = examples.Count, t = examples.Max(e => e.Ids.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        var types = useTokenTypes ? new long[b * t] : null;
        var labels = new long[b];
        Array.Fill(ids, padId);
        for (int i = 0; i < b; i++)
        {
            var e = examples[i];
            for (int j = 0; j < e.Ids.Length; j++)
            {
                ids[i * t + j] = e.Ids[j];
                mask[i * t + j] = 1;
                if (types is not null) types[i * t + j] = e.TypeIds[j];
            }
            labels[i] = e.Label;
        }
        var shape = new long[] { b, t };
        return new TaskBatch(tensor(ids, shape, device: device), tensor(mask, shape, device: device),
            types is null ? null : tensor(types, shape, device: device), tensor(labels, device: device));
    }

    public Tensor Loss(Tensor logits, TaskBatch batch) => nn.functional.cross_entropy(logits, batch.Labels);

    public IMetricAccumulator<ClassificationExample> CreateMetric() => new Accuracy();

    private sealed class Accuracy : IMetricAccumulator<ClassificationExample>
    {
        private long correct, total;

        public void Add(Tensor logits, IReadOnlyList<ClassificationExample> examples)
        {
            var predicted = logits.argmax(1).cpu().data<long>().ToArray();
            for (int i = 0; i < examples.Count; i++) if (predicted[i] == examples[i].Label) correct++;
            total += examples.Count;
        }

        public double Value => total == 0 ? 0 : (double)correct / total;
    }
}
