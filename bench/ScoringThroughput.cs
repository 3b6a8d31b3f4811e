using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// Sentences per second of the scorers the benches compare, end to end (tokenization included), on the same sentences:
/// an ML.NET transformer's <c>Transform</c>, and an ONNX model in ONNX Runtime fed batches of 32 padded to their longest.
/// </summary>
internal static class ScoringThroughput
{
    public const int OrtBatchSize = 32;

    /// <summary>The best of <paramref name="runs"/> timed runs after one warm-up, as items per second.</summary>
    public static double Best(int runs, Action action, int count)
    {
        action();   // warm-up
        double best = 0;
        for (int i = 0; i < runs; i++) best = Math.Max(best, Once(action, count));
        return best;
    }

    /// <summary>One timed run, as items per second.</summary>
    public static double Once(Action action, int count)
    {
        var sw = Stopwatch.StartNew();
        action();
        return count / sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Scores <paramref name="texts"/> (a <c>Text</c> column) with <paramref name="model"/>, reading every <c>Score</c>;
    /// <paramref name="predicted"/>, when given, receives each row's highest-scoring class.
    /// </summary>
    public static Action Transformer(ITransformer model, string[] texts, int[]? predicted = null)
    {
        var textView = new MLContext().Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }));
        return () =>
        {
            var scored = model.Transform(textView);
            using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == "Score"));
            var get = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            VBuffer<float> v = default;
            int row = 0;
            while (cursor.MoveNext())
            {
                get(ref v);
                if (predicted is null) continue;
                var values = v.DenseValues().ToArray();
                predicted[row++] = Array.IndexOf(values, values.Max());
            }
        };
    }

    /// <summary>An ONNX Runtime session as the benches run it: all graph optimisations, <paramref name="threads"/> intra-op threads.</summary>
    public static InferenceSession OrtSession(byte[] onnx, int threads)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        return new InferenceSession(onnx, options);
    }

    /// <summary>
    /// Scores <paramref name="texts"/> with <paramref name="session"/> in batches (<paramref name="batches"/>: row indices; by
    /// default consecutive runs of 32 in file order); <paramref name="result"/>, when given, receives each row's first output.
    /// </summary>
    public static Action Ort(InferenceSession session, TextTokenizer tokenizer, string[] texts, int maxLength,
        IReadOnlyList<int[]>? batches = null, float[][]? result = null)
    {
        batches ??= Enumerable.Range(0, texts.Length).Chunk(OrtBatchSize).ToList();
        bool types = session.InputMetadata.ContainsKey("token_type_ids");
        string output = session.OutputNames[0];
        return () =>
        {
            foreach (var batch in batches)
            {
                var b = tokenizer.EncodeBatch(batch.Select(i => texts[i]).ToArray(), null, maxLength);
                var dims = new[] { b.BatchSize, b.SequenceLength };
                var inputs = new List<NamedOnnxValue>
                {
                    NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(b.InputIds, dims)),
                    NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(b.AttentionMask, dims)),
                };
                if (types) inputs.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(b.TokenTypeIds, dims)));
                using var results = session.Run(inputs, new[] { output });
                if (result is null) continue;
                var values = results.First().AsTensor<float>().ToArray();
                int perRow = values.Length / batch.Length;
                for (int r = 0; r < batch.Length; r++) result[batch[r]] = values.AsSpan(r * perRow, perRow).ToArray();
            }
        };
    }

    private sealed class TextRow { public string Text { get; set; } = ""; }
}
