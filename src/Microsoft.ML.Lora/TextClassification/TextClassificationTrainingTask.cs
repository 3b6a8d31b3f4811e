using Microsoft.ML.Lora.Tokenization;
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
        var p = PaddedBatch.Create(examples.Select(e => e.Ids).ToList(), useTokenTypes ? examples.Select(e => e.TypeIds).ToList() : null, padId);
        var (ids, mask, types) = p.ToTensors(device);
        return new TaskBatch(ids, mask, types, tensor(examples.Select(e => (long)e.Label).ToArray(), device: device));
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
