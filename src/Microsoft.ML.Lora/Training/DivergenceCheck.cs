using Microsoft.ML.Lora.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Training;

/// <summary>
/// The loss of a step is computed before its update, so the last step can turn the weights into NaN, ±∞ or values so large
/// that every forward pass overflows, while every loss the loop saw was finite (a huge learning rate and a single step is
/// enough). After training the loop checks the trained parameters and the loss of one batch with the final weights, so a
/// diverged model is never returned as if it had trained.
/// </summary>
internal static class DivergenceCheck
{
    /// <summary>Examples in the final forward pass: enough to exercise every trained module, few enough to cost nothing.</summary>
    private const int ProbeExamples = 16;

    /// <exception cref="InvalidOperationException">A trainable parameter holds NaN or ±∞, or the loss with the final weights is not finite.</exception>
    public static void ThrowIfDiverged<TExample>(TaskModel model, ITrainingTask<TExample> task, IReadOnlyList<TExample> examples,
        IReadOnlyCollection<string> trainableNames, long steps, double learningRate, Device device)
    {
        string Advice() => FormattableString.Invariant($"after {steps} step(s) (learning rate {learningRate}). Lower the learning rate or keep MaxGradNorm clipping on.");
        using var scope = NewDisposeScope();
        bool wasTraining = model.training;
        try
        {
            using var _ = no_grad();
            foreach (var (name, p) in model.named_parameters())
                if (trainableNames.Contains(name) && !isfinite(p).all().item<bool>())
                    throw new InvalidOperationException($"Training diverged: parameter '{name}' holds NaN or infinite values {Advice()}");
            model.eval();
            var probe = examples.Take(ProbeExamples).ToList();
            var batch = task.Collate(probe, device);
            float loss = task.Loss(model.forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds), batch).item<float>();
            if (!float.IsFinite(loss))
                throw new InvalidOperationException($"Training diverged: the loss with the final weights is {loss} on the first {probe.Count} training example(s) {Advice()}");
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
