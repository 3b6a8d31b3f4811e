namespace Microsoft.ML.Lora;

/// <summary>What the training loop is doing.</summary>
public enum TrainingPhase
{
    /// <summary>Optimizer steps on the training data.</summary>
    Training,
    /// <summary>Scoring the validation set at the end of an epoch.</summary>
    Validating,
    /// <summary>The run has finished (possibly early).</summary>
    Completed,
}

/// <summary>A progress report of the fine-tuning loop, sent through <c>IProgress&lt;TrainingProgress&gt;</c> and the ML.NET log.</summary>
/// <param name="Phase">What the loop is doing.</param>
/// <param name="Epoch">Current epoch, 1-based.</param>
/// <param name="Epochs">Epochs planned.</param>
/// <param name="Step">Optimizer steps done so far (all epochs).</param>
/// <param name="TotalSteps">Optimizer steps planned (all epochs).</param>
/// <param name="Loss">Mean training loss over the current epoch so far.</param>
/// <param name="LearningRate">Current learning rate (after warmup/decay).</param>
/// <param name="ExamplesPerSecond">Training throughput since the run (or resume) started.</param>
/// <param name="Elapsed">Wall time since the run (or resume) started.</param>
/// <param name="Eta">Estimated time to finish the planned steps, when known.</param>
/// <param name="ValidationLoss">Validation loss of the last finished epoch, if a validation set is used.</param>
/// <param name="ValidationMetric">Validation metric (accuracy or entity F1) of the last finished epoch, if any.</param>
public sealed record TrainingProgress(
    TrainingPhase Phase, int Epoch, int Epochs, long Step, long TotalSteps, double Loss, double LearningRate,
    double ExamplesPerSecond, TimeSpan Elapsed, TimeSpan? Eta, double? ValidationLoss = null, double? ValidationMetric = null)
{
    /// <summary>A one-line summary for logs.</summary>
    public override string ToString()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var text = string.Create(c, $"{Phase} epoch {Epoch}/{Epochs} step {Step}/{TotalSteps} loss {Loss:F4} lr {LearningRate:E2} {ExamplesPerSecond:F1} ex/s");
        if (Eta is { } eta) text += string.Create(c, $" ETA {eta:hh\\:mm\\:ss}");
        if (ValidationLoss is { } vl) text += string.Create(c, $" val_loss {vl:F4}");
        if (ValidationMetric is { } vm) text += string.Create(c, $" val_metric {vm:F4}");
        return text;
    }
}

/// <summary>One finished epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="TrainLoss">Mean training loss of the epoch.</param>
/// <param name="ValidationLoss">Validation loss, or null without a validation set.</param>
/// <param name="ValidationMetric">Validation metric (higher is better), or null.</param>
public sealed record EpochSummary(int Epoch, double TrainLoss, double? ValidationLoss, double? ValidationMetric);

/// <summary>What a training run did: per-epoch summaries, the loss of every step, and which epoch's weights were kept.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochSummary> epochs = new();
    private readonly List<float> stepLosses = new();

    /// <summary>Finished epochs in order.</summary>
    public IReadOnlyList<EpochSummary> Epochs => epochs;
    /// <summary>Training loss of every optimizer step (a loss curve).</summary>
    public IReadOnlyList<float> StepLosses => stepLosses;
    /// <summary>The epoch whose weights the model holds (the best validation epoch when early stopping/validation is used).</summary>
    public int BestEpoch { get; internal set; }
    /// <summary>True when early stopping ended the run before the planned epochs.</summary>
    public bool StoppedEarly { get; internal set; }
    /// <summary>True when the run continued from a checkpoint.</summary>
    public bool Resumed { get; internal set; }

    internal void AddEpochs(IEnumerable<EpochSummary> finished) => epochs.AddRange(finished);

    internal void AddStepLosses(IEnumerable<float> losses) => stepLosses.AddRange(losses);
}
