namespace Microsoft.ML.Lora.Calibration;

/// <summary>Probabilities from logits, as every task's scorer turns them out.</summary>
internal static class Softmax
{
    /// <summary>softmax(logits / temperature), computed stably.</summary>
    public static float[] Probabilities(ReadOnlySpan<float> logits, float temperature = 1)
    {
        var p = new float[logits.Length];
        float max = float.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = (float)Math.Exp((logits[i] - max) / temperature);
        for (int i = 0; i < p.Length; i++) p[i] = (float)(p[i] / sum);
        return p;
    }

    /// <summary>Index of the largest value (the first of equal ones).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
