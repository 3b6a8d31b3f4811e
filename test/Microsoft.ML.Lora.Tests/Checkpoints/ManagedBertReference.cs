using Microsoft.ML.Lora.Checkpoints;

namespace Microsoft.ML.Lora.Tests.Checkpoints;

/// <summary>
/// A plain C# BERT forward pass over Hugging Face-named weights, written straight from the BertModel definition.
/// Slow and independent of TorchSharp: agreeing with ONNX Runtime proves that names, transposes, head count and
/// epsilon of a converted checkpoint are right.
/// </summary>
internal sealed class ManagedBertReference(BertDimensions config, Func<string, FloatTensorData> weight)
{
    private readonly int _hidden = config.HiddenSize;

    /// <summary>Last hidden state, row-major [batch, sequence, hidden].</summary>
    public float[] LastHiddenState(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int batch, int sequence)
    {
        var result = new float[batch * sequence * _hidden];
        for (int b = 0; b < batch; b++)
        {
            var x = Embed(inputIds.AsSpan(b * sequence, sequence), tokenTypeIds.AsSpan(b * sequence, sequence));
            var mask = attentionMask.AsSpan(b * sequence, sequence).ToArray();
            for (int layer = 0; layer < config.NumHiddenLayers; layer++)
                x = Layer(x, mask, $"encoder.layer.{layer}");
            for (int t = 0; t < sequence; t++)
                x[t].CopyTo(result, (b * sequence + t) * _hidden);
        }
        return result;
    }

    /// <summary>tanh(pooler.dense(h[:, 0])), row-major [batch, hidden].</summary>
    public float[] Pooled(float[] lastHiddenState, int batch, int sequence)
    {
        var result = new float[batch * _hidden];
        for (int b = 0; b < batch; b++)
        {
            var cls = lastHiddenState.AsSpan(b * sequence * _hidden, _hidden).ToArray();
            var pooled = Linear(cls, "pooler.dense");
            for (int i = 0; i < _hidden; i++)
                result[b * _hidden + i] = MathF.Tanh(pooled[i]);
        }
        return result;
    }

    private float[][] Embed(ReadOnlySpan<long> ids, ReadOnlySpan<long> types)
    {
        var words = weight("embeddings.word_embeddings.weight").Values;
        var positions = weight("embeddings.position_embeddings.weight").Values;
        var typeTable = weight("embeddings.token_type_embeddings.weight").Values;
        var x = new float[ids.Length][];
        for (int t = 0; t < ids.Length; t++)
        {
            x[t] = new float[_hidden];
            for (int i = 0; i < _hidden; i++)
                x[t][i] = words[ids[t] * _hidden + i] + positions[t * _hidden + i] + typeTable[types[t] * _hidden + i];
            x[t] = LayerNorm(x[t], "embeddings.LayerNorm");
        }
        return x;
    }

    private float[][] Layer(float[][] x, long[] mask, string prefix)
    {
        int heads = config.NumAttentionHeads, headSize = _hidden / heads, length = x.Length;
        var q = x.Select(v => Linear(v, $"{prefix}.attention.self.query")).ToArray();
        var k = x.Select(v => Linear(v, $"{prefix}.attention.self.key")).ToArray();
        var v = x.Select(v => Linear(v, $"{prefix}.attention.self.value")).ToArray();
        var context = Enumerable.Range(0, length).Select(_ => new float[_hidden]).ToArray();
        double scale = 1.0 / Math.Sqrt(headSize);
        var scores = new double[length];
        for (int h = 0; h < heads; h++)
        {
            int offset = h * headSize;
            for (int t = 0; t < length; t++)
            {
                double max = double.NegativeInfinity;
                for (int s = 0; s < length; s++)
                {
                    double dot = 0;
                    for (int d = 0; d < headSize; d++)
                        dot += q[t][offset + d] * k[s][offset + d];
                    // HF's extended attention mask: a large negative bias on padded keys.
                    scores[s] = dot * scale + (mask[s] == 0 ? -10000.0 : 0.0);
                    max = Math.Max(max, scores[s]);
                }
                double sum = 0;
                for (int s = 0; s < length; s++)
                    sum += scores[s] = Math.Exp(scores[s] - max);
                for (int d = 0; d < headSize; d++)
                {
                    double acc = 0;
                    for (int s = 0; s < length; s++)
                        acc += scores[s] / sum * v[s][offset + d];
                    context[t][offset + d] = (float)acc;
                }
            }
        }
        var attended = new float[length][];
        for (int t = 0; t < length; t++)
            attended[t] = LayerNorm(Add(Linear(context[t], $"{prefix}.attention.output.dense"), x[t]), $"{prefix}.attention.output.LayerNorm");
        var output = new float[length][];
        for (int t = 0; t < length; t++)
        {
            var up = Linear(attended[t], $"{prefix}.intermediate.dense");
            for (int i = 0; i < up.Length; i++)
                up[i] = (float)(0.5 * up[i] * (1 + Erf(up[i] / Math.Sqrt(2))));
            output[t] = LayerNorm(Add(Linear(up, $"{prefix}.output.dense"), attended[t]), $"{prefix}.output.LayerNorm");
        }
        return output;
    }

    /// <summary>torch.nn.Linear: y = W x + b with W stored as [out, in].</summary>
    private float[] Linear(float[] input, string prefix)
    {
        var w = weight($"{prefix}.weight");
        var b = weight($"{prefix}.bias").Values;
        int outFeatures = (int)w.Shape[0], inFeatures = (int)w.Shape[1];
        if (inFeatures != input.Length)
            throw new InvalidOperationException($"{prefix}.weight is {w.ShapeText}; input has {input.Length} features.");
        var y = new float[outFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            double acc = b[o];
            int row = o * inFeatures;
            for (int i = 0; i < inFeatures; i++)
                acc += w.Values[row + i] * input[i];
            y[o] = (float)acc;
        }
        return y;
    }

    private float[] LayerNorm(float[] x, string prefix)
    {
        var gamma = weight($"{prefix}.weight").Values;
        var beta = weight($"{prefix}.bias").Values;
        double mean = x.Average(v => (double)v);
        double variance = x.Average(v => (v - mean) * (v - mean));
        double inv = 1 / Math.Sqrt(variance + config.LayerNormEps);
        return x.Select((v, i) => (float)((v - mean) * inv * gamma[i] + beta[i])).ToArray();
    }

    private static float[] Add(float[] a, float[] b) => a.Select((v, i) => v + b[i]).ToArray();

    /// <summary>erf by Abramowitz and Stegun 7.1.26 (|error| &lt; 1.5e-7), enough for float32 comparisons.</summary>
    private static double Erf(double x)
    {
        double sign = Math.Sign(x);
        x = Math.Abs(x);
        double t = 1 / (1 + 0.3275911 * x);
        double y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return sign * y;
    }
}
