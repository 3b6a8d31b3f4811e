using Microsoft.ML.Lora.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Reliability;

/// <summary>A training example of raw token ids (all the same length) and a class.</summary>
internal sealed record RawIdsExample(long[] Ids, long Label)
{
    /// <summary><paramref name="count"/> four-token examples of three classes.</summary>
    public static List<RawIdsExample> Several(int count) => Enumerable.Range(0, count).Select(i => new RawIdsExample(new long[] { 2, 3 + i, 4, 3 }, i % 3)).ToList();
}

/// <summary>Classification on raw ids for tests of the training loop itself; optionally cancels after a number of batches.</summary>
internal sealed class RawIdsTask(CancellationTokenSource? cancel = null, int cancelAfterBatches = 0) : ITrainingTask<RawIdsExample>
{
    public int Batches { get; private set; }

    public int Length(RawIdsExample e) => e.Ids.Length;

    public TaskBatch Collate(IReadOnlyList<RawIdsExample> examples, Device device)
    {
        if (++Batches == cancelAfterBatches) cancel?.Cancel();
        long b = examples.Count, t = examples[0].Ids.Length;
        return new TaskBatch(tensor(examples.SelectMany(e => e.Ids).ToArray(), new[] { b, t }), ones(b, t, dtype: ScalarType.Int64), null,
            tensor(examples.Select(e => e.Label).ToArray()));
    }

    public Tensor Loss(Tensor logits, TaskBatch batch) => nn.functional.cross_entropy(logits, batch.Labels);

    public IMetricAccumulator<RawIdsExample> CreateMetric() => throw new NotSupportedException("no validation in these tests");
}
