using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Lora.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// One training step (forward, cross-entropy on a 3-class head, backward, AdamW step) of the embedded MiniLM at batch 32,
/// for LoRA, full fine-tuning and head-only, each in its own process, next to the same steps in PyTorch.
/// </summary>
internal static class TrainStepBench
{
    private const int Batch = 32, Threads = 2, Warmup = 3, Steps = 20;
    private static readonly string[] Configs = { "lora", "full", "head" };

    public static int Run(string[] args)
    {
        if (args.Length >= 3 && args[0] == "--one") return One(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
        int[] seqs = { 64, 128 };
        var python = Path.Combine(BenchEnvironment.RepoRoot, "bench", "python", "train_step_reference.py");
        var mkl = Path.Combine(BenchEnvironment.RepoRoot, "bench", ".mkl");
        var env = new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = mkl, ["MKL_THREADING_LAYER"] = "GNU", ["OMP_NUM_THREADS"] = Threads.ToString(CultureInfo.InvariantCulture) };
        if (!Directory.Exists(mkl)) Console.WriteLine("bench/.mkl missing: run bench/setup-python-reference.sh for the MKL-backed PyTorch reference.");

        double roofline = Roofline();
        var pyRoof = ChildRun.Python(python, env, "roofline", "--threads", Threads.ToString(CultureInfo.InvariantCulture));
        Console.WriteLine($"GEMM roofline (2048³ sgemm, {Threads} threads): TorchSharp {roofline:F1} GFLOP/s" + (pyRoof is null ? "" : $", PyTorch {pyRoof["gflops"]!.GetValue<double>():F1} GFLOP/s"));

        var table = new ResultTable("Training step (all-MiniLM-L6-v2, batch 32, 3-class head)",
            "seq", "method", "trainable params", "ms/step (median of 20)", "GFLOP/step", "GFLOP/s", "% of GEMM roofline",
            "peak RSS MiB", "PyTorch ms/step", "PyTorch peak RSS MiB", "speed-up vs PyTorch");
        var results = new Dictionary<(string, int), (double Ms, double Rss)>();
        foreach (int seq in seqs)
            foreach (var config in Configs)
            {
                Console.WriteLine($"-- {config} seq {seq}");
                var r = ChildRun.Bench("train-step", "--one", config, seq.ToString(CultureInfo.InvariantCulture));
                var py = ChildRun.Python(python, env, config, seq.ToString(CultureInfo.InvariantCulture), "--threads", Threads.ToString(CultureInfo.InvariantCulture));
                double ms = r["median_ms"]!.GetValue<double>(), rss = r["peak_rss_mb"]!.GetValue<double>();
                double gflop = StepFlops(config, seq) / 1e9;
                double? pyMs = py?["median_ms"]!.GetValue<double>();
                results[(config, seq)] = (ms, rss);
                table.Add(seq, config, r["trainable"]!.GetValue<long>().ToString("N0", CultureInfo.InvariantCulture), ms, gflop, gflop / (ms / 1000),
                    $"{100 * gflop / (ms / 1000) / roofline:F0}%", rss, pyMs?.ToString("F0", CultureInfo.InvariantCulture) ?? "n/a",
                    py?["peak_rss_mb"]!.GetValue<double>().ToString("F0", CultureInfo.InvariantCulture) ?? "n/a",
                    pyMs is null ? "n/a" : $"{pyMs / ms:F2}×");
            }
        table.Note($"GEMM roofline measured in this run: TorchSharp {roofline:F1} GFLOP/s" + (pyRoof is null ? "" : $", PyTorch (MKL) {pyRoof["gflops"]!.GetValue<double>():F1} GFLOP/s")
            + $" (2048×2048 sgemm, {Threads} threads). FLOPs per step are counted analytically as the library computes them: forward F = matmuls + attention, the last layer past its key/value projections for [CLS] only; full ≈ 3F (input and weight gradients), LoRA ≈ 2F (input gradients only, LoRA's own are negligible), head-only ≈ F.");
        foreach (int seq in seqs)
            table.Note($"seq {seq}: LoRA/full step time {results[("lora", seq)].Ms / results[("full", seq)].Ms:F2} (target ≤ 0.45), LoRA/full peak RSS {results[("lora", seq)].Rss / results[("full", seq)].Rss:F2} (target ≤ 0.65).");
        table.Note("PyTorch reference: Debian python3-torch 1.13 with MKL (bench/setup-python-reference.sh), the same model shapes, LoRA r=8 on query/value, AdamW, clipping; it has no scaled_dot_product_attention (1.13), so attention is written out.");
        table.Record("train-step");
        return 0;
    }

    /// <summary>
    /// FLOPs of one step as this library computes it, counted analytically for all-MiniLM-L6-v2 (L=6, H=384, I=1536) at
    /// batch 32: the first L-1 layers for every token; the last one projects keys and values for every token but computes
    /// query, attention, output and feed-forward for [CLS] alone (all the classifier reads).
    /// </summary>
    public static double StepFlops(string config, int seq)
    {
        const double L = 6, H = 384, I = 1536;
        double layerPerToken = 2 * (4 * H * H + 2 * H * I) + 4 * seq * H;
        double lastLayer = seq * 2 * (2 * H * H) + 2 * (2 * H * H + 2 * H * I) + 4 * seq * H;
        double forward = Batch * (seq * (L - 1) * layerPerToken + lastLayer);
        return config switch { "full" => 3 * forward, "lora" => 2 * forward, _ => forward };
    }

    private static double Roofline()
    {
        TorchRuntime.ConfigureThreads(Threads);
        using var a = randn(2048, 2048);
        using var b = randn(2048, 2048);
        for (int i = 0; i < 2; i++) using (var _ = a.mm(b)) { }
        var sw = Stopwatch.StartNew();
        const int n = 10;
        for (int i = 0; i < n; i++) using (var _ = a.mm(b)) { }
        return 2.0 * 2048 * 2048 * 2048 * n / sw.Elapsed.TotalSeconds / 1e9;
    }

    private static int One(string config, int seq)
    {
        TorchRuntime.ConfigureThreads(Threads);
        manual_seed(0);
        var encoder = PretrainedModel.MiniLmL6V2.LoadEncoder(addPoolingLayer: true).Encoder;
        var model = new SequenceClassificationModel(encoder, 3);
        var method = config switch { "lora" => FineTuningMethod.Lora(new LoraOptions { Rank = 8, Alpha = 16 }), "full" => FineTuningMethod.Full, _ => FineTuningMethod.HeadOnly };
        method.Apply(model);
        model.train();
        var (optimizer, trainable) = OptimizerFactory.Create(model, 5e-4, 0.01);
        var task = new TextClassificationTrainingTask(0, useTokenTypes: true);
        var rng = new Random(1);
        var examples = Enumerable.Range(0, Batch).Select(i => new ClassificationExample(
            Enumerable.Range(0, seq).Select(_ => rng.Next(1000, 30000)).ToArray(), new int[seq], i % 3)).ToList();
        var settings = new TrainingSettings { Seed = 1, MaxGradNorm = 1.0 };
        var times = new List<double>();
        var indices = Enumerable.Range(0, Batch).ToArray();
        for (int step = 0; step < Warmup + Steps; step++)
        {
            var sw = Stopwatch.StartNew();
            TrainingLoop.Step(model, task, examples, indices, optimizer, trainable, 5e-4, settings, step, CPU);
            if (step >= Warmup) times.Add(sw.Elapsed.TotalMilliseconds);
        }
        var result = new JsonObject
        {
            ["config"] = config, ["seq"] = seq, ["median_ms"] = EncoderBench.Median(times),
            ["peak_rss_mb"] = TorchRuntime.PeakResidentBytes() / 1048576.0, ["trainable"] = TrainableParameterReport.Of(model).Trainable,
        };
        Console.WriteLine(result.ToJsonString());
        return 0;
    }
}
