using System.Diagnostics;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Bench;

/// <summary>Encoder throughput (last hidden state) of the TorchSharp MiniLM against ONNX Runtime on the same ONNX model and batches.</summary>
internal static class EncoderBench
{
    public static int Run(string[] args)
    {
        int threads = 2, repeats = 5, batchSize = 32;
        var texts = BenchData.SentimentTexts(BenchEnvironment.SentimentValid);
        var tokenizer = PretrainedModel.MiniLmL6V2.LoadTokenizer();
        var batches = texts.Chunk(batchSize).Select(c => tokenizer.EncodeBatch(c, null, 256)).ToList();
        Console.WriteLine($"{texts.Length} sentences, {batches.Count} batches of {batchSize} in file order, padded to the longest; {threads} threads");

        TorchRuntime.ConfigureThreads(threads);
        using var encoder = PretrainedModel.MiniLmL6V2.LoadEncoder(addPoolingLayer: false).Encoder;
        encoder.eval();
        double Torch()
        {
            var sw = Stopwatch.StartNew();
            using var mode = inference_mode();
            foreach (var b in batches)
            {
                using var scope = NewDisposeScope();
                var shape = new long[] { b.BatchSize, b.SequenceLength };
                var h = encoder.Encode(tensor(b.InputIds, shape), tensor(b.AttentionMask, shape), tensor(b.TokenTypeIds, shape));
                _ = h.data<float>()[0];   // force the result
            }
            return texts.Length / sw.Elapsed.TotalSeconds;
        }

        using var ortOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        byte[] onnx;
        using (var s = OnnxModelResource.Open()) { var ms = new MemoryStream(); s.CopyTo(ms); onnx = ms.ToArray(); }
        using var session = new InferenceSession(onnx, ortOptions);
        double Ort()
        {
            var sw = Stopwatch.StartNew();
            foreach (var b in batches)
            {
                var dims = new[] { b.BatchSize, b.SequenceLength };
                var inputs = new[]
                {
                    NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(b.InputIds, dims)),
                    NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(b.AttentionMask, dims)),
                    NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(b.TokenTypeIds, dims)),
                };
                using var results = session.Run(inputs, new[] { "last_hidden_state" });
                _ = results.First().AsTensor<float>().GetValue(0);
            }
            return texts.Length / sw.Elapsed.TotalSeconds;
        }

        Torch(); Ort();   // warm-up: allocator, kernels, graph optimisation
        var torchRuns = new List<double>();
        var ortRuns = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            torchRuns.Add(Torch());
            ortRuns.Add(Ort());
            Console.WriteLine($"run {r + 1}: TorchSharp {torchRuns[^1]:F1} sentences/s, ONNX Runtime {ortRuns[^1]:F1} sentences/s");
        }
        double t = Median(torchRuns), o = Median(ortRuns);
        var table = new ResultTable("Encoder throughput (all-MiniLM-L6-v2, last hidden state)",
            "engine", "sentences/s (median of 5)", "min", "max", "ratio vs ONNX Runtime");
        table.Add("Microsoft.ML.Lora (TorchSharp 0.107, libtorch 2.10 CPU)", t, torchRuns.Min(), torchRuns.Max(), t / o);
        table.Add($"ONNX Runtime {typeof(InferenceSession).Assembly.GetName().Version} (ORT_ENABLE_ALL)", o, ortRuns.Min(), ortRuns.Max(), 1.0);
        table.Note($"{texts.Length} sentences of sent_valid.csv, batches of {batchSize} in file order padded to the longest, {threads} intra-op threads each, inference mode. Target ratio ≥ 1.2.");
        table.Record("encoder");
        return 0;
    }

    public static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
