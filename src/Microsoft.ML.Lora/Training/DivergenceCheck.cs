using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Training;

/// <summary>
/// The loss of a step is computed before its update, so a step can turn the weights into NaN or ±∞ with a finite loss
/// (a huge learning rate, a single step). The loop checks the trained parameters once more at the end, so a diverged model
/// is never returned as if it had trained.
/// </summary>
internal static class DivergenceCheck
{
    /// <exception cref="InvalidOperationException">A trainable parameter holds NaN or ±∞ (names it and the step).</exception>
    public static void ThrowIfNotFinite(nn.Module model, IReadOnlyCollection<string> trainableNames, long steps, double learningRate)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!trainableNames.Contains(name)) continue;
            if (!isfinite(p).all().item<bool>())
                throw new InvalidOperationException(FormattableString.Invariant(
                    $"Training diverged: parameter '{name}' holds NaN or infinite values after {steps} step(s) (learning rate {learningRate}). Lower the learning rate or keep MaxGradNorm clipping on."));
        }
    }
}
