namespace Microsoft.ML.Lora.Calibration;

/// <summary>Probabilities from logits: the one softmax (with temperature) that scoring, calibration and metrics use.</summary>
internal static class Softmax
{
    /// <summary>softmax(logits / temperature), computed stably in double precision.</summary>
    public static float[] Probabilities(ReadOnlySpan<float> logits, float temperature = 1)
    {
        var p = new float[logits.Length];
        Write(logits, p, temperature);
        return p;
    }

    /// <summary>Writes softmax(logits / temperature) into <paramref name="probabilities"/> (of the same length).</summary>
    public static void Write(ReadOnlySpan<float> logits, Span<float> probabilities, float temperature = 1)
    {
        double max = double.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        double sum = 0;
        foreach (var l in logits) sum += Math.Exp((l - max) / temperature);
        for (int i = 0; i < logits.Length; i++) probabilities[i] = (float)(Math.Exp((logits[i] - max) / temperature) / sum);
    }

    /// <summary>Index of the largest value (the first of equal ones).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
