namespace Microsoft.ML.Lora.Training;

/// <summary>Linear warmup from 0 to the peak rate, then linear decay to 0 (Hugging Face's <c>get_linear_schedule_with_warmup</c>).</summary>
internal sealed class LinearWarmupSchedule
{
    private readonly double peak;
    private readonly long warmup, total;

    public LinearWarmupSchedule(double peak, long totalSteps, double warmupFraction)
    {
        this.peak = peak;
        total = Math.Max(1, totalSteps);
        warmup = (long)Math.Ceiling(total * Math.Clamp(warmupFraction, 0, 1));
    }

    /// <summary>Learning rate for the optimizer step with 0-based index <paramref name="step"/>.</summary>
    public double At(long step)
    {
        if (step < warmup) return peak * (step + 1) / warmup;
        return peak * Math.Max(0.0, (double)(total - step) / Math.Max(1, total - warmup));
    }
}
