namespace Microsoft.ML.Lora.Tests;

/// <summary>An IProgress that reports on the training thread (Progress&lt;T&gt; posts to the thread pool, too late to cancel a step).</summary>
internal sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
