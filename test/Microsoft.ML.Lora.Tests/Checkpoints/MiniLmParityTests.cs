using Microsoft.ML.Lora.Checkpoints;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Checkpoints;

/// <summary>The TorchSharp encoder with the embedded MiniLM weights against ONNX Runtime running the same ONNX model.</summary>
public class MiniLmParityTests(ITestOutputHelper output)
{
    [Fact]
    public void LastHiddenStateMatchesOnnxRuntimeOnRealSentences()
    {
        var texts = TestData.ReadFinancialNewsValidation().Select(r => r.Text).Take(256).ToArray();
        var tokenizer = PretrainedModel.MiniLmL6V2.LoadTokenizer();
        using var encoder = PretrainedModel.MiniLmL6V2.LoadEncoder(addPoolingLayer: false).Encoder;
        encoder.eval();
        double maxDiff = 0;
        int compared = 0;
        for (int start = 0; start < texts.Length; start += 32)
        {
            var batch = tokenizer.EncodeBatch(texts[start..Math.Min(start + 32, texts.Length)], null, 256);
            int b = batch.BatchSize, t = batch.SequenceLength;
            var expected = OnnxMiniLmReference.LastHiddenState(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, b, t);
            float[] actual;
            using (var scope = NewDisposeScope())
            using (inference_mode())
            {
                actual = encoder.Encode(tensor(batch.InputIds, new long[] { b, t }), tensor(batch.AttentionMask, new long[] { b, t }),
                    tensor(batch.TokenTypeIds, new long[] { b, t })).data<float>().ToArray();
            }
            for (int row = 0; row < b; row++)
                for (int pos = 0; pos < batch.Lengths[row]; pos++)   // padded positions are undefined in both
                {
                    int o = (row * t + pos) * 384;
                    for (int h = 0; h < 384; h++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[o + h] - actual[o + h]));
                    compared++;
                }
        }
        output.WriteLine($"max |TorchSharp - ONNX Runtime| over {texts.Length} sentences ({compared} tokens): {maxDiff:E3}");
        Console.WriteLine($"MiniLM parity: max abs diff {maxDiff:E3} over {texts.Length} sentences");
        Assert.True(maxDiff <= 1e-4, $"max abs diff {maxDiff}");
    }
}
