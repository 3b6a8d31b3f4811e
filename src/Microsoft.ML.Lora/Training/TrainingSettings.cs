namespace Microsoft.ML.Lora.Training;

/// <summary>Everything the training loop needs besides the model and the data (filled from a task's options).</summary>
internal sealed class TrainingSettings
{
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 5e-4;
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupFraction { get; init; } = 0.06;
    public double MaxGradNorm { get; init; } = 1.0;
    public int? EarlyStoppingPatience { get; init; }
    public int Seed { get; init; }
    public string? CheckpointDirectory { get; init; }
    public int CheckpointEverySteps { get; init; } = 200;
    /// <summary>Identifies the run (options + data) so a checkpoint of another run is never resumed.</summary>
    public string Fingerprint { get; init; } = "";
    public IProgress<TrainingProgress>? Progress { get; init; }
    public Action<string>? Log { get; init; }
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(2);
    public CancellationToken CancellationToken { get; init; }
}
