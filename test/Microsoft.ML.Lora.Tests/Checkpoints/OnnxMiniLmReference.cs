using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Lora.Tests.Checkpoints;

/// <summary>
/// Runs the embedded all-MiniLM-L6-v2 ONNX model with ONNX Runtime: the reference that TorchSharp encoders and
/// converted weights are compared against. One session per process (90 MB; ONNX Runtime's Run is thread-safe).
/// </summary>
/// <remarks>
/// Graph inputs input_ids, attention_mask, token_type_ids: int64 [batch, sequence]. Outputs: "last_hidden_state"
/// float [batch, sequence, 384] and "924", the BERT pooler output tanh(dense(h[:, 0])) float [batch, 384].
/// The graph turns attention_mask into an additive -10000 bias, as transformers did in 2021 (recent versions use
/// float.MinValue): padded positions therefore get a tiny, not zero, weight, which matters only at ~1e-7 level.
/// </remarks>
internal static class OnnxMiniLmReference
{
    public const int HiddenSize = 384;
    public const string LastHiddenStateOutput = "last_hidden_state";
    public const string PoolerOutput = "924";

    private static readonly Lazy<InferenceSession> _session = new(CreateSession);

    /// <summary>The encoder's last hidden state, row-major [batch, sequence, 384].</summary>
    public static float[] LastHiddenState(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int batch, int sequence) =>
        Run(LastHiddenStateOutput, inputIds, attentionMask, tokenTypeIds, batch, sequence);

    /// <summary>The pooler output (tanh of a dense layer on the [CLS] state), row-major [batch, 384].</summary>
    public static float[] Pooled(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int batch, int sequence) =>
        Run(PoolerOutput, inputIds, attentionMask, tokenTypeIds, batch, sequence);

    /// <summary>Convenience overload: attention mask all ones, token types all zeros.</summary>
    public static float[] LastHiddenState(long[][] inputIds)
    {
        int batch = inputIds.Length, sequence = inputIds[0].Length;
        if (inputIds.Any(row => row.Length != sequence))
            throw new ArgumentException("All rows of input_ids must have the same length.", nameof(inputIds));
        var ids = inputIds.SelectMany(r => r).ToArray();
        return LastHiddenState(ids, Enumerable.Repeat(1L, ids.Length).ToArray(), new long[ids.Length], batch, sequence);
    }

    private static float[] Run(string output, long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int batch, int sequence)
    {
        long count = (long)batch * sequence;
        if (batch <= 0 || sequence <= 0)
            throw new ArgumentException($"batch and sequence must be positive; got {batch} x {sequence}.");
        foreach (var (name, values) in new[] { ("input_ids", inputIds), ("attention_mask", attentionMask), ("token_type_ids", tokenTypeIds) })
        {
            if (values.Length != count)
                throw new ArgumentException($"{name} has {values.Length} values; expected batch {batch} x sequence {sequence} = {count}.", name);
        }
        long[] shape = [batch, sequence];
        using var ids = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(attentionMask, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(tokenTypeIds, shape);
        var inputs = new Dictionary<string, OrtValue>
        {
            ["input_ids"] = ids,
            ["attention_mask"] = mask,
            ["token_type_ids"] = types,
        };
        using var runOptions = new RunOptions();
        using var results = _session.Value.Run(runOptions, inputs, [output]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static InferenceSession CreateSession()
    {
        using var stream = EmbeddedMiniLm.OpenOnnxModel();
        using var buffer = new MemoryStream((int)stream.Length);
        stream.CopyTo(buffer);
        // Exact float math for parity checks: no fused/approximated kernels.
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        return new InferenceSession(buffer.ToArray(), options);
    }
}
