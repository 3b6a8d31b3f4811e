namespace Microsoft.ML.Lora.Bench;

/// <summary>Training progress on the console: every epoch end and at most one training line per 30 seconds.</summary>
internal sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private TimeSpan? last;

    public void Report(TrainingProgress value)
    {
        if (value.Phase == TrainingPhase.Training && last is { } l && value.Elapsed - l < TimeSpan.FromSeconds(30)) return;
        last = value.Elapsed;
        Console.WriteLine(value);
    }
}
