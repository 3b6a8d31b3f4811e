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
/// One training step (forward, cross-entropy on a 3-class head, backward, AdamW step) of the embedded MiniLM at batch 32:
/// LoRA, full fine-tuning and head-only, in float32 and mixed bfloat16, with and without gradient checkpointing, each in
/// its own process, next to the same steps in PyTorch 1.13 (float32, and bfloat16 under CPU autocast).
/// </summary>
internal static class TrainStepBench
{
    private const int Batch = 32;

    private sealed record Config(int Seq, string Method, string Precision, GradientCheckpointing Checkpointing)
    {
        public string Key => $"{Seq}/{Method}/{Precision}/{BenchArgs.Name(Checkpointing)}";
    }

    private sealed class Measured
    {
        public List<double> Ms { get; } = new();
        public List<double> CpuMs { get; } = new();
        public double PeakRss { get; set; }
        public double Activations { get; set; }
        public long Trainable { get; set; }
    }

    public static int Run(string[] args)
    {
        if (args.Length >= 1 && args[0] == "--one") return One(args[1..]);
        var cl = BenchArgs.Parse(args, "--seq a,b, --methods lora,full,head, --precisions fp32,bf16, --steps N, --rounds N, --threads N, --warmup N, --no-python, --no-checkpointing");
        int[] seqs = cl.Ints("seq", 64, 128);
        string[] methods = cl.Strings("methods", "lora", "full", "head");
        string[] precisions = cl.Strings("precisions", "fp32", "bf16");
        int steps = cl.Int("steps") ?? 20, rounds = cl.Int("rounds") ?? 2, threads = cl.Int("threads") ?? 2, warmup = cl.Int("warmup") ?? 3;
        bool python = !cl.Flag("no-python"), checkpointing = !cl.Flag("no-checkpointing");
        var configs = new List<Config>();
        foreach (int seq in seqs)
            foreach (var m in methods)
                foreach (var p in precisions)
                {
                    configs.Add(new Config(seq, m, p, GradientCheckpointing.None));
                    if (checkpointing && seq == seqs.Max() && m != "head")
                        foreach (var mode in new[] { GradientCheckpointing.Attention, GradientCheckpointing.Layers }) configs.Add(new Config(seq, m, p, mode));
                }

        var py = python ? PythonReference.Find(threads) : null;
        var roof = precisions.ToDictionary(p => p, p => Roofline(p, threads));
        var pyRoof = precisions.ToDictionary(p => p, p => py?.Run("roofline", "--precision", p)?["gflops"]!.GetValue<double>());
        foreach (var p in precisions)
            Console.WriteLine($"GEMM roofline {p} (2048³, {threads} threads): TorchSharp {roof[p]:F1} GFLOP/s" + (pyRoof[p] is { } r ? $", PyTorch {r:F1} GFLOP/s" : ""));

        // Rounds interleave every configuration with its PyTorch twin, so a slow stretch of a shared machine hits all alike.
        var ours = configs.ToDictionary(c => c.Key, _ => new Measured());
        var theirs = configs.Where(c => c.Checkpointing == GradientCheckpointing.None).ToDictionary(c => c.Key, _ => new Measured());
        for (int round = 0; round < rounds; round++)
            foreach (var c in configs)
            {
                Console.WriteLine($"-- round {round + 1}/{rounds}: {c.Method} seq {c.Seq} {c.Precision}{(c.Checkpointing == GradientCheckpointing.None ? "" : $" checkpointing {BenchArgs.Name(c.Checkpointing)}")}");
                Add(ours[c.Key], ChildRun.Bench("train-step", "--one", c.Method, Str(c.Seq), c.Precision, BenchArgs.Name(c.Checkpointing), Str(steps), Str(threads), Str(warmup)));
                if (py is not null && c.Checkpointing == GradientCheckpointing.None && py.Run(c.Method, Str(c.Seq), "--precision", c.Precision, "--steps", Str(steps), "--warmup", Str(warmup)) is { } j)
                    Add(theirs[c.Key], j);
            }

        // One section per sequence-length set, so a shared machine can measure seq 64 and seq 128 in separate runs.
        bool allMethods = methods.Length == 3;
        var table = new ResultTable($"Training step (all-MiniLM-L6-v2, batch 32, 3-class head, seq {string.Join(" and ", seqs)}{(allMethods ? "" : ", " + string.Join(" and ", methods))})",
            "seq", "method", "precision", "checkpointing", "trainable params", $"ms/step (median of {rounds}×{steps})", "CPU ms/step",
            "GFLOP/step", "% of GEMM roofline", "peak RSS MiB", "activations MiB", "PyTorch ms/step", "PyTorch CPU ms/step",
            "PyTorch peak RSS MiB", "speed-up vs PyTorch", "RSS vs PyTorch");
        foreach (var c in configs)
        {
            var m = ours[c.Key];
            double ms = Median(m.Ms), gflop = StepFlops(c.Method, c.Seq, c.Checkpointing) / 1e9;
            var t = theirs.GetValueOrDefault(c.Key) is { Ms.Count: > 0 } pm ? pm : null;
            table.Add(c.Seq, c.Method, c.Precision, c.Checkpointing == GradientCheckpointing.None ? "no" : BenchArgs.Name(c.Checkpointing), m.Trainable.ToString("N0", CultureInfo.InvariantCulture), ms, Median(m.CpuMs),
                gflop, $"{100 * gflop / (ms / 1000) / roof[c.Precision]:F0}%", m.PeakRss, m.Activations,
                t is null ? "" : Median(t.Ms), t is null ? "" : Median(t.CpuMs), t is null ? "" : t.PeakRss,
                t is null ? "" : $"{Median(t.Ms) / ms:F2}×", t is null ? "" : $"{m.PeakRss / t.PeakRss:F2}");
        }
        table.Note($"Machine load while measuring: {LoadAverage()}. Each configuration ran in its own process, {rounds} round(s) of {warmup} warm-up + {steps} timed steps, "
            + $"rounds interleaving all configurations and their PyTorch twins; ms/step is the median over all timed steps (wall clock, {threads} intra-op threads), "
            + "CPU ms/step the median process CPU time per step (less sensitive to other load on a shared machine).");
        table.Note($"GEMM roofline measured in this run (2048³ matrix product, {threads} threads): "
            + string.Join("; ", precisions.Select(p => $"{p} TorchSharp {roof[p]:F1}" + (pyRoof[p] is { } r ? $", PyTorch {r:F1}" : "") + " GFLOP/s"))
            + ". FLOPs per step are counted analytically as the library computes them: forward F = matmuls + attention, the last layer past its key/value projections "
            + "for [CLS] only; full ≈ 3F, LoRA ≈ 2F (input gradients only), head-only ≈ F; checkpointing of layers adds one forward (F), of attention the attention blocks' forward (8H² + 4TH per token: 0.37 F at seq 128). "
            + "% of roofline is against the roofline of the step's precision.");
        table.Note("peak RSS: the process's high-water mark (model load included). activations: memory the autograd graph holds after the forward pass "
            + "(bytes allocated after forward − before, glibc), i.e. what gradient checkpointing saves.");
        table.Note("PyTorch reference: Debian python3-torch 1.13 with MKL (bench/setup-python-reference.sh), the same shapes, LoRA r=8 on query/value (dropout 0 as here), "
            + "AdamW, clipping; bf16 = forward and loss under torch.autocast(\"cpu\", torch.bfloat16). It has no scaled_dot_product_attention (1.13), so attention is written out.");
        foreach (var line in Goals(configs, ours, theirs)) table.Note(line);
        table.Record("train-step" + (args.Length > 0 ? " " + string.Join(' ', args) : ""));
        return 0;
    }

    private static IEnumerable<string> Goals(List<Config> configs, Dictionary<string, Measured> ours, Dictionary<string, Measured> theirs)
    {
        double? Ms(int seq, string method, string precision, GradientCheckpointing ckpt = GradientCheckpointing.None, bool py = false)
        {
            var key = new Config(seq, method, precision, ckpt).Key;
            var d = py ? theirs : ours;
            return d.TryGetValue(key, out var m) && m.Ms.Count > 0 ? Median(m.Ms) : null;
        }
        string Check(double? ratio, double goal, string what) => ratio is { } r ? $"{what} {r:F2}× (goal ≥ {goal}×: {(r >= goal ? "met" : "missed")})" : "";
        foreach (int seq in configs.Select(c => c.Seq).Distinct())
        {
            var bf = Ms(seq, "lora", "bf16");
            var parts = new[]
            {
                Check(Ms(seq, "lora", "fp32") / bf, 1.8, "bf16 LoRA vs our fp32 LoRA"),
                Check(Ms(seq, "lora", "fp32", py: true) / bf, 2.2, "vs PyTorch fp32"),
                Check(Ms(seq, "lora", "bf16", py: true) / bf, 1.25, "vs PyTorch bf16"),
                Check(Ms(seq, "lora", "fp32", py: true) / Ms(seq, "lora", "fp32"), 1.25, "fp32 LoRA vs PyTorch fp32"),
            }.Where(p => p.Length > 0);
            yield return $"seq {seq}: " + string.Join("; ", parts) + ".";
            var over = configs.Where(c => c.Seq == seq && c.Checkpointing == GradientCheckpointing.None && theirs.TryGetValue(c.Key, out var t) && t.PeakRss > 0 && ours[c.Key].PeakRss > t.PeakRss)
                .Select(c => $"{c.Method} {c.Precision}").ToList();
            if (theirs.Values.Any(t => t.PeakRss > 0))
                yield return $"seq {seq}: peak RSS ≤ PyTorch's (goal: every configuration): " + (over.Count == 0 ? "met" : "missed for " + string.Join(", ", over)) + ".";
            foreach (var c in configs.Where(c => c.Seq == seq && c.Checkpointing != GradientCheckpointing.None))
            {
                var plain = ours[(c with { Checkpointing = GradientCheckpointing.None }).Key];
                var ck = ours[c.Key];
                if (plain.Ms.Count == 0 || ck.Ms.Count == 0) continue;
                double saved = 1 - ck.Activations / plain.Activations, slower = Median(ck.Ms) / Median(plain.Ms) - 1;
                yield return $"seq {seq} {c.Method} {c.Precision} with checkpointing of {BenchArgs.Name(c.Checkpointing)}: activations {100 * saved:F0}% lower (goal ≥ 50%), "
                    + $"step {100 * slower:+0;-0}% time (goal ≤ +35%), peak RSS {ck.PeakRss:F0} vs {plain.PeakRss:F0} MiB.";
            }
        }
    }

    private static void Add(Measured m, JsonObject j)
    {
        m.Ms.AddRange(j["ms"]!.AsArray().Select(x => x!.GetValue<double>()));
        m.CpuMs.AddRange(j["cpu_ms"]!.AsArray().Select(x => x!.GetValue<double>()));
        m.PeakRss = Math.Max(m.PeakRss, j["peak_rss_mb"]!.GetValue<double>());
        m.Activations = Math.Max(m.Activations, j["activations_mb"]?.GetValue<double>() ?? 0);
        m.Trainable = j["trainable"]!.GetValue<long>();
    }

    /// <summary>FLOPs of one step of all-MiniLM-L6-v2 (L=6, H=384, I=1536) at batch 32, as the library computes it (<see cref="BertFlops"/>).</summary>
    public static double StepFlops(string method, int seq, GradientCheckpointing checkpointing = GradientCheckpointing.None) => BertFlops.Step(6, 384, 1536, seq, Batch, method, checkpointing);

    /// <summary>GFLOP/s of a 2048³ matrix product in <paramref name="precision"/>.</summary>
    internal static double Roofline(string precision, int threads)
    {
        TorchRuntime.ConfigureThreads(threads);
        var type = precision == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
        using var a = randn(2048, 2048).to(type);
        using var b = randn(2048, 2048).to(type);
        for (int i = 0; i < 2; i++) using (var _ = a.mm(b)) { }
        var sw = Stopwatch.StartNew();
        const int n = 10;
        for (int i = 0; i < n; i++) using (var _ = a.mm(b)) { }
        return 2.0 * 2048 * 2048 * 2048 * n / sw.Elapsed.TotalSeconds / 1e9;
    }

    private static int One(string[] a)
    {
        Console.WriteLine(TrainingStepProbe.Measure(() => PretrainedModel.MiniLmL6V2.LoadEncoder(addPoolingLayer: true).Encoder,
            a[0], int.Parse(a[1], CultureInfo.InvariantCulture), Batch, a[2], BenchArgs.ParseCheckpointing(a[3]), int.Parse(a[6], CultureInfo.InvariantCulture), int.Parse(a[4], CultureInfo.InvariantCulture),
            int.Parse(a[5], CultureInfo.InvariantCulture)).ToJsonString());
        return 0;
    }

    private static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static double Median(List<double> xs) => xs.Count == 0 ? double.NaN : EncoderBench.Median(xs);

    internal static string LoadAverage() => File.Exists("/proc/loadavg")
        ? "load average " + string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) + " (1 / 5 / 15 min)"
        : "unknown";
}
