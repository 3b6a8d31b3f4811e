using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Training;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Training;

public class TrainingLoopTests
{
    private sealed record Example(int[] Ids, int Label);

    /// <summary>Classification on raw ids; the validation metric follows a script so early stopping can be tested exactly.</summary>
    private sealed class ScriptedTask(Queue<double> metrics, Action onMetric) : ITrainingTask<Example>
    {
        public int Length(Example e) => e.Ids.Length;

        public TaskBatch Collate(IReadOnlyList<Example> examples, Device device)
        {
            int b = examples.Count, t = examples.Max(e => e.Ids.Length);
            var ids = new long[b * t];
            var mask = new long[b * t];
            for (int i = 0; i < b; i++)
                for (int j = 0; j < examples[i].Ids.Length; j++) { ids[i * t + j] = examples[i].Ids[j]; mask[i * t + j] = 1; }
            return new TaskBatch(tensor(ids, new long[] { b, t }), tensor(mask, new long[] { b, t }), null,
                tensor(examples.Select(e => (long)e.Label).ToArray()));
        }

        public Tensor Loss(Tensor logits, TaskBatch batch) => nn.functional.cross_entropy(logits, batch.Labels);

        public IMetricAccumulator<Example> CreateMetric() => new Scripted(metrics, onMetric);

        private sealed class Scripted(Queue<double> metrics, Action onMetric) : IMetricAccumulator<Example>
        {
            public void Add(Tensor logits, IReadOnlyList<Example> examples) { }
            public double Value { get { onMetric(); return metrics.Dequeue(); } }
        }
    }

    private static List<Example> Data(int n) => Enumerable.Range(0, n).Select(i => new Example(new[] { 2, 3 + i % 5, 4 + (i * 7) % 9, 3 }.Take(2 + i % 3).ToArray(), i % 3)).ToList();

    [Fact]
    public void EarlyStoppingRestoresTheBestEpochsWeights()
    {
        using var model = TinyModels.Classifier();
        var snapshots = new List<Dictionary<string, Tensor>>();
        void Snap() => snapshots.Add(model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone()));
        var task = new ScriptedTask(new Queue<double>(new[] { 0.5, 0.9, 0.6, 0.4, 0.95 }), Snap);
        var history = TrainingLoop.Run(model, task, Data(24), Data(6), new TrainingSettings
        {
            Epochs = 5, BatchSize = 8, LearningRate = 1e-2, EarlyStoppingPatience = 2, Seed = 1, WarmupFraction = 0,
        }, CPU);
        Assert.True(history.StoppedEarly);
        Assert.Equal(4, history.Epochs.Count);   // epochs 3 and 4 did not beat epoch 2
        Assert.Equal(2, history.BestEpoch);
        Assert.Equal(new double?[] { 0.5, 0.9, 0.6, 0.4 }, history.Epochs.Select(e => e.ValidationMetric));
        foreach (var (name, value) in model.state_dict())
            Assert.True(TensorAssert.Identical(snapshots[1][name], value), $"{name} is not epoch 2's");
        Assert.False(TensorAssert.Identical(snapshots[3]["classifier.weight"], model.state_dict()["classifier.weight"]));
    }

    [Fact]
    public void WithoutValidationAllEpochsRunAndTheLastWeightsAreKept()
    {
        using var model = TinyModels.Classifier();
        var history = TrainingLoop.Run(model, new ScriptedTask(new Queue<double>(), () => { }), Data(20), null,
            new TrainingSettings { Epochs = 3, BatchSize = 8, EarlyStoppingPatience = 1, Seed = 1 }, CPU);
        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(3, history.BestEpoch);
        Assert.Equal(9, history.StepLosses.Count);
        Assert.All(history.Epochs, e => Assert.Null(e.ValidationMetric));
    }

    [Fact]
    public void DivergingLossStopsWithAClearError()
    {
        using var model = TinyModels.Classifier();
        var ex = Assert.Throws<InvalidOperationException>(() => TrainingLoop.Run(model, new ScriptedTask(new Queue<double>(), () => { }), Data(16), null,
            new TrainingSettings { Epochs = 50, BatchSize = 8, LearningRate = 1e9, MaxGradNorm = 0, WarmupFraction = 0, Seed = 1 }, CPU));
        Assert.Contains("diverged", ex.Message);
    }

    [Fact]
    public void LengthBucketingCoversEveryExampleOnceAndDependsOnlyOnSeedAndEpoch()
    {
        var lengths = Enumerable.Range(0, 1000).Select(i => (i * 37) % 120 + 3).ToArray();
        var a = LengthBucketing.TrainingBatches(lengths, 32, seed: 5, epoch: 2);
        Assert.Equal(Enumerable.Range(0, 1000), a.SelectMany(b => b).Order());
        Assert.Equal(a.SelectMany(b => b), LengthBucketing.TrainingBatches(lengths, 32, 5, 2).SelectMany(b => b));
        Assert.NotEqual(a.SelectMany(b => b), LengthBucketing.TrainingBatches(lengths, 32, 5, 3).SelectMany(b => b));
        // padding: bucketed batches waste far less than random ones
        long Waste(IEnumerable<int[]> batches) => batches.Sum(b => b.Length * b.Max(i => lengths[i]) - b.Sum(i => lengths[i]));
        var random = Enumerable.Range(0, 1000).OrderBy(i => (i * 7919) % 1000).Chunk(32);
        Assert.True(Waste(a) * 5 < Waste(random), $"bucketed {Waste(a)} vs random {Waste(random)}");
    }

    [Fact]
    public void LengthBucketingIsTheSameInEveryProcess()
    {
        // A run resumed in a new process must replay the same batches, so the order may not depend on per-process
        // randomised hashing (System.HashCode): pin it.
        var batches = LengthBucketing.TrainingBatches(new[] { 5, 1, 4, 2, 8, 7, 3, 6 }, 3, seed: 5, epoch: 2);
        Assert.Equal("4,5,7 | 0,2,6 | 3,1", string.Join(" | ", batches.Select(b => string.Join(",", b))));
    }

    [Fact]
    public void ScheduleWarmsUpLinearlyThenDecaysToZero()
    {
        var s = new LinearWarmupSchedule(1.0, totalSteps: 100, warmupFraction: 0.1);
        Assert.Equal(0.1, s.At(0), 10);
        Assert.Equal(1.0, s.At(9), 10);
        Assert.Equal(1.0, s.At(10), 10);
        Assert.Equal(0.5, s.At(55), 10);
        Assert.Equal(1.0 / 90, s.At(99), 10);
    }
}
