using Microsoft.ML.Lora.Checkpoints;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.Lora.Tests.Checkpoints;

public class OnnxMiniLmReferenceTests(ITestOutputHelper output)
{
    // [CLS] the quick brown fox [SEP] / [CLS] hello world [SEP] [PAD] [PAD], by the uncased vocabulary.
    private static readonly long[] InputIds = [101, 1996, 4248, 2829, 4419, 102, 101, 7592, 2088, 102, 0, 0];
    private static readonly long[] AttentionMask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    private static readonly long[] TokenTypes = new long[12];
    private const int Batch = 2, Sequence = 6;

    [Fact]
    public void LastHiddenState_IsFinite_WithShapeBatchBySequenceBy384()
    {
        var hidden = OnnxMiniLmReference.LastHiddenState(InputIds, AttentionMask, TokenTypes, Batch, Sequence);

        Assert.Equal(Batch * Sequence * OnnxMiniLmReference.HiddenSize, hidden.Length);
        Assert.All(hidden, v => Assert.True(float.IsFinite(v)));
        // Not a constant output: different tokens get different states.
        Assert.NotEqual(hidden[0], hidden[OnnxMiniLmReference.HiddenSize]);
    }

    [Fact]
    public void ConvenienceOverload_EqualsTheFullCall()
    {
        long[][] rows = [[101, 7592, 2088, 102]];
        var full = OnnxMiniLmReference.LastHiddenState([.. rows[0]], [1, 1, 1, 1], [0, 0, 0, 0], 1, 4);

        Assert.Equal(full, OnnxMiniLmReference.LastHiddenState(rows));
    }

    [Fact]
    public void MismatchedInputLength_IsRejectedBeforeOnnxRuntime()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            OnnxMiniLmReference.LastHiddenState(InputIds, AttentionMask[..5], TokenTypes, Batch, Sequence));
        Assert.Contains("attention_mask", error.Message);
    }

    /// <summary>
    /// The converted weights, run through a plain C# BERT written from the Hugging Face definition, reproduce ONNX
    /// Runtime's outputs: names, transposes, head count and epsilon are all right.
    /// </summary>
    [Fact]
    public void ConvertedWeights_InAManagedBert_ReproduceOnnxRuntime()
    {
        var checkpoint = MiniLmTestAssets.Checkpoint;
        var reference = new ManagedBertReference(checkpoint.Dimensions, name => checkpoint[name]);

        var expected = OnnxMiniLmReference.LastHiddenState(InputIds, AttentionMask, TokenTypes, Batch, Sequence);
        var actual = reference.LastHiddenState(InputIds, AttentionMask, TokenTypes, Batch, Sequence);
        var expectedPooled = OnnxMiniLmReference.Pooled(InputIds, AttentionMask, TokenTypes, Batch, Sequence);
        var actualPooled = reference.Pooled(actual, Batch, Sequence);

        double hiddenDiff = MaxAbsDifference(expected, actual);
        double pooledDiff = MaxAbsDifference(expectedPooled, actualPooled);
        output.WriteLine($"max |ORT - managed|: last_hidden_state {hiddenDiff:E2} (padded positions included), pooler {pooledDiff:E2}");
        Assert.True(hiddenDiff < 1e-4, $"last_hidden_state differs by {hiddenDiff}");
        Assert.True(pooledDiff < 1e-4, $"pooler output differs by {pooledDiff}");
    }

    private static double MaxAbsDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++)
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
