using static TorchSharp.torch;

namespace Microsoft.ML.Lora;

/// <summary>Trainable versus total parameter counts, printed like PEFT's <c>print_trainable_parameters()</c>.</summary>
public sealed record TrainableParameterReport(long Trainable, long Total)
{
    /// <summary>Trainable share in percent.</summary>
    public double Percent => Total == 0 ? 0 : 100.0 * Trainable / Total;

    /// <summary>Counts the parameters of <paramref name="module"/> (shared tensors once).</summary>
    internal static TrainableParameterReport Of(nn.Module module)
    {
        long trainable = 0, total = 0;
        foreach (var p in module.parameters())
        {
            total += p.numel();
            if (p.requires_grad) trainable += p.numel();
        }
        return new TrainableParameterReport(trainable, total);
    }

    /// <summary>"trainable params: 75,267 || all params: 22,788,483 || trainable%: 0.3303".</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"trainable params: {Trainable:N0} || all params: {Total:N0} || trainable%: {Percent:F4}");
}
