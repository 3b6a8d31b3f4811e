using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Lora.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// Token classification for the shared training loop: cross-entropy over the labelled sub-tokens (each word's first; the
/// rest are ignored), and entity-level micro F1 over whole sentences as the validation metric.
/// </summary>
internal sealed class NerTrainingTask(int padId, NerTagSet tags) : ITrainingTask<NerWindow>
{
    public int Length(NerWindow e) => e.Ids.Length;

    public TaskBatch Collate(IReadOnlyList<NerWindow> examples, Device device)
    {
        var rows = PaddedBatch.Create(examples.Select(e => e.Ids).ToList(), null, padId);
        var labels = rows.PadValues(examples.Select(e => e.Labels ?? throw new InvalidOperationException("Training windows need labels.")).ToList(),
            NerWindow.IgnoredLabel);
        var (ids, mask, _) = rows.ToTensors(device);
        // Token types stay null (all zero): NER input is a single segment.
        return new TaskBatch(ids, mask, null, tensor(labels, new long[] { rows.Rows, rows.Length }, device: device));
    }

    public Tensor Loss(Tensor logits, TaskBatch batch)
        => nn.functional.cross_entropy(logits.reshape(-1, tags.Count), batch.Labels.reshape(-1), ignore_index: NerWindow.IgnoredLabel);

    public IMetricAccumulator<NerWindow> CreateMetric() => new EntityF1(tags);

    /// <summary>Collects each word's prediction from the window that owns it, then scores whole sentences as conlleval does.</summary>
    private sealed class EntityF1(NerTagSet tags) : IMetricAccumulator<NerWindow>
    {
        private readonly Dictionary<int, (int[] Gold, int[] Predicted)> sentences = new();

        public void Add(Tensor logits, IReadOnlyList<NerWindow> examples)
        {
            long length = logits.shape[1];
            var predicted = logits.argmax(-1).cpu().data<long>().ToArray();
            for (int i = 0; i < examples.Count; i++)
            {
                var e = examples[i];
                if (!sentences.TryGetValue(e.Sentence, out var s))
                    sentences[e.Sentence] = s = (new int[e.SentenceWordCount], new int[e.SentenceWordCount]);
                foreach (var (word, position) in e.OwnedWords())
                {
                    s.Gold[word] = e.Labels![position];
                    s.Predicted[word] = (int)predicted[i * length + position];
                }
            }
        }

        public double Value
        {
            get
            {
                var evaluator = new NerEvaluator();
                foreach (var (gold, predicted) in sentences.Values)
                    evaluator.Add(gold.Select(t => tags.Tags[t]).ToArray(), TagSchemeConverter.RepairIob2(predicted.Select(t => tags.Tags[t]).ToArray()));
                return evaluator.GetMetrics().MicroF1;
            }
        }
    }
}
