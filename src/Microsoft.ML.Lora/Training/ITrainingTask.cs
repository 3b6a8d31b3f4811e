using Microsoft.ML.Lora.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Training;

/// <summary>A batch of encoded examples on the model's device.</summary>
internal sealed record TaskBatch(Tensor InputIds, Tensor AttentionMask, Tensor? TokenTypeIds, Tensor Labels);

/// <summary>
/// What a task (text classification, NER, ...) tells the shared training loop: how long an example is (for length
/// bucketing), how to turn examples into tensors, the loss, and a validation metric. Nothing else in the loop is task-specific.
/// </summary>
internal interface ITrainingTask<TExample>
{
    /// <summary>Number of tokens of an encoded example (its padded length in a batch of its own).</summary>
    int Length(TExample example);

    /// <summary>Pads a batch to its longest example and creates the tensors on <paramref name="device"/>.</summary>
    TaskBatch Collate(IReadOnlyList<TExample> examples, Device device);

    /// <summary>Mean loss of a batch.</summary>
    Tensor Loss(Tensor logits, TaskBatch batch);

    /// <summary>A fresh accumulator of the validation metric (higher is better).</summary>
    IMetricAccumulator<TExample> CreateMetric();
}

/// <summary>Accumulates a validation metric over batches.</summary>
internal interface IMetricAccumulator<TExample>
{
    /// <summary>Adds a batch's logits (on any device) for <paramref name="examples"/>.</summary>
    void Add(Tensor logits, IReadOnlyList<TExample> examples);

    /// <summary>The metric over everything added (higher is better).</summary>
    double Value { get; }
}
