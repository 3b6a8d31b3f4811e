using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// How cost grows with the model: a randomly initialised bert-base-shaped encoder (110M parameters, written to a temporary
/// Hugging Face folder) trained with LoRA and fully, in float32 and bfloat16 (and with gradient checkpointing), measured;
/// then bert-large extrapolated — step time from its FLOPs at the efficiency measured here, memory from its parameter,
/// optimizer and activation sizes.
/// </summary>
internal static class ScaleBench
{
    private const int Warmup = 2;

    private sealed record Shape(string Name, int Layers, int Hidden, int Intermediate, int Heads)
    {
        public const int Vocab = 30522, Positions = 512;

        public long Parameters => (long)Vocab * Hidden + (long)Positions * Hidden + 2L * Hidden + 2L * Hidden
            + Layers * (4L * (Hidden * Hidden + Hidden) + 4L * Hidden + (long)Hidden * Intermediate + Intermediate + (long)Intermediate * Hidden + Hidden)
            + (long)Hidden * Hidden + Hidden + 3L * Hidden + 3;

        public long LoraTrainable => Layers * 2L * 8 * (Hidden + Hidden) + 3L * Hidden + 3;   // r=8 on query and value, and the classifier
    }

    private static readonly Shape Base = new("bert-base", 12, 768, 3072, 12), Large = new("bert-large", 24, 1024, 4096, 16);

    public static int Run(string[] args)
    {
        if (args.Length >= 1 && args[0] == "--one") return One(args[1..]);
        var cl = BenchArgs.Parse(args, "--seq N, --batch N, --steps N, --threads N");
        int seq = cl.Int("seq") ?? 128, batch = cl.Int("batch") ?? 8, steps = cl.Int("steps") ?? 3, threads = cl.Int("threads") ?? 2;
        var folder = Path.Combine(Path.GetTempPath(), $"lora-scale-{Base.Name}-{Guid.NewGuid():N}");
        try
        {
            WriteRandomCheckpoint(folder, Base);
            var configs = new List<(string Method, string Precision, bool Ckpt)>();
            foreach (var p in new[] { "fp32", "bf16" })
                foreach (var m in new[] { "lora", "full" }) configs.Add((m, p, false));
            configs.Add(("lora", "bf16", true));
            configs.Add(("full", "bf16", true));
            var roof = new[] { "fp32", "bf16" }.ToDictionary(p => p, p => TrainStepBench.Roofline(p, threads));
            var table = new ResultTable($"Scale: bert-base measured, bert-large extrapolated (seq {seq}, batch {batch})",
                "model", "method", "precision", "checkpointing", "params", "trainable", "ms/step", "GFLOP/step", "GFLOP/s", "% of GEMM roofline",
                "peak RSS MiB", "activations MiB", "weights + grads + AdamW MiB");
            var measured = new List<(string Method, string Precision, bool Ckpt, double Ms, double Rss, double Act, long Trainable)>();
            foreach (var (m, p, ck) in configs)
            {
                Console.WriteLine($"-- {Base.Name} {m} {p}{(ck ? " checkpointing" : "")}");
                var j = ChildRun.Bench("scale", "--one", folder, m, p, ck ? "layers" : "-", Str(seq), Str(batch), Str(steps), Str(threads));
                var ms = j["ms"]!.AsArray().Select(x => x!.GetValue<double>()).ToList();
                measured.Add((m, p, ck, EncoderBench.Median(ms), j["peak_rss_mb"]!.GetValue<double>(), j["activations_mb"]!.GetValue<double>(), j["trainable"]!.GetValue<long>()));
            }
            foreach (var r in measured)
            {
                double gflop = Flops(Base, r.Method, seq, batch, r.Ckpt) / 1e9, rate = gflop / (r.Ms / 1000);
                table.Add(Base.Name, r.Method, r.Precision, r.Ckpt ? "yes" : "no", Base.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                    r.Trainable.ToString("N0", CultureInfo.InvariantCulture), r.Ms, gflop, rate, $"{100 * rate / roof[r.Precision]:F0}%", r.Rss, r.Act,
                    StateMiB(Base, r.Method, r.Precision));
            }
            // bert-large: FLOPs at the GFLOP/s measured for the same configuration; memory = what bert-base's peak held besides
            // weights, optimizer state and activations (runtime, transients), plus bert-large's own sizes.
            double activationScale = (double)Large.Layers * Large.Hidden / (Base.Layers * Base.Hidden);
            foreach (var r in measured)
            {
                double rate = Flops(Base, r.Method, seq, batch, r.Ckpt) / (r.Ms / 1000);
                double gflop = Flops(Large, r.Method, seq, batch, r.Ckpt) / 1e9;
                double rest = r.Rss - StateMiB(Base, r.Method, r.Precision) - r.Act;
                double act = r.Act * activationScale, state = StateMiB(Large, r.Method, r.Precision);
                table.Add(Large.Name + " (extrapolated)", r.Method, r.Precision, r.Ckpt ? "yes" : "no", Large.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                    (r.Method == "lora" ? Large.LoraTrainable : Large.Parameters).ToString("N0", CultureInfo.InvariantCulture),
                    gflop * 1e9 / rate * 1000, gflop, rate / 1e9, $"{100 * rate / 1e9 / roof[r.Precision]:F0}%", rest + state + act, act, state);
            }
            foreach (var p in new[] { "fp32", "bf16" })
            {
                var lora = measured.Single(r => r is { Method: "lora", Ckpt: false } && r.Precision == p);
                var full = measured.Single(r => r is { Method: "full", Ckpt: false } && r.Precision == p);
                table.Note($"{Base.Name} {p}: LoRA/full peak RSS {lora.Rss / full.Rss:F2}, step time {lora.Ms / full.Ms:F2}; weights + grads + AdamW {StateMiB(Base, "lora", p):F0} vs {StateMiB(Base, "full", p):F0} MiB "
                    + $"({Large.Name}: {StateMiB(Large, "lora", p):F0} vs {StateMiB(Large, "full", p):F0} MiB).");
            }
            table.Note($"Machine load while measuring: {TrainStepBench.LoadAverage()}. Random weights (BERT init, std 0.02), random token ids, 3-class head; "
                + $"{Warmup} warm-up + {steps} timed steps per configuration, each in its own process, {threads} threads; ms/step is the median (wall clock). "
                + $"GEMM roofline in this run: fp32 {roof["fp32"]:F1}, bf16 {roof["bf16"]:F1} GFLOP/s (2048³). FLOPs as in train-step (BertFlops).");
            table.Note($"weights + grads + AdamW: 4 bytes per frozen float32 weight or 2 per bfloat16 one, 16 per trained weight (float32 weight, gradient, two "
                + $"AdamW moments). {Large.Name} ({Large.Layers} layers, hidden {Large.Hidden}, {Large.Heads} heads) is extrapolated: ms/step = its FLOPs ÷ the GFLOP/s "
                + $"measured for the same configuration on {Base.Name}; activations × {activationScale:F2} (layers × hidden); peak RSS = {Base.Name}'s peak − its weights/optimizer "
                + "− its activations (runtime, transients) + bert-large's own.");
            table.Record("scale" + (args.Length > 0 ? " " + string.Join(' ', args) : ""));
            return 0;
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    private static double Flops(Shape s, string method, int seq, int batch, bool ckpt) => BertFlops.Step(s.Layers, s.Hidden, s.Intermediate, seq, batch, method,
        ckpt ? GradientCheckpointing.Layers : GradientCheckpointing.None);

    private static double StateMiB(Shape s, string method, string precision)
    {
        long trainable = method == "lora" ? s.LoraTrainable : s.Parameters;
        double frozenBytes = precision == "bf16" ? 2 : 4;
        return ((s.Parameters - trainable) * frozenBytes + trainable * 16.0) / 1048576.0;
    }

    private static void WriteRandomCheckpoint(string folder, Shape s)
    {
        Console.WriteLine($"Writing a random {s.Name}-shaped checkpoint ({s.Parameters:N0} parameters) to {folder}");
        var config = new EncoderConfig
        {
            Architecture = EncoderArchitecture.Bert, ModelType = "bert", VocabSize = Shape.Vocab, HiddenSize = s.Hidden, NumLayers = s.Layers,
            NumHeads = s.Heads, IntermediateSize = s.Intermediate, MaxPositionEmbeddings = Shape.Positions, TypeVocabSize = 2,
        };
        manual_seed(1);
        using var model = EncoderModel.Create(config, addPoolingLayer: true);
        HuggingFaceFolderWriter.Write(folder, config, model.state_dict());
    }

    private static int One(string[] a)
    {
        var folder = a[0];
        Console.WriteLine(TrainingStepProbe.Measure(() => HuggingFaceCheckpoint.LoadEncoder(folder, addPoolingLayer: true).Encoder, a[1],
            int.Parse(a[4], CultureInfo.InvariantCulture), int.Parse(a[5], CultureInfo.InvariantCulture), a[2], BenchArgs.ParseCheckpointing(a[3]), Warmup,
            int.Parse(a[6], CultureInfo.InvariantCulture), int.Parse(a[7], CultureInfo.InvariantCulture)).ToJsonString());
        return 0;
    }

    private static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);
}
