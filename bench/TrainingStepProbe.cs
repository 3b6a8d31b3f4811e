using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Lora.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// Times training steps of a 3-class sentence classifier on random token ids in this (child) process: step times, CPU time,
/// peak RSS and the activation memory a forward pass leaves for backward. Shared by <c>train-step</c> and <c>scale</c>.
/// </summary>
internal static class TrainingStepProbe
{
    public static JsonObject Measure(Func<EncoderModel> loadEncoder, string method, int seq, int batch, string precision, GradientCheckpointing checkpointing,
        int warmup, int steps, int threads)
    {
        TorchRuntime.ConfigureThreads(threads);
        manual_seed(0);
        var encoder = loadEncoder();
        var model = new SequenceClassificationModel(encoder, 3);
        var m = method switch { "lora" => FineTuningMethod.Lora(new LoraOptions { Rank = 8, Alpha = 16 }), "full" => FineTuningMethod.Full, _ => FineTuningMethod.HeadOnly };
        m.Apply(model);
        encoder.UsePrecision(BenchArgs.ParsePrecision(precision));
        encoder.GradientCheckpointing = checkpointing;
        model.train();
        var (optimizer, trainable) = OptimizerFactory.Create(model, 5e-4, 0.01);
        var task = new TextClassificationTrainingTask(0, useTokenTypes: true);
        var rng = new Random(1);
        var examples = Enumerable.Range(0, batch).Select(i => new ClassificationExample(
            Enumerable.Range(0, seq).Select(_ => rng.Next(1000, Math.Min(30000, encoder.Config.VocabSize))).ToArray(), new int[seq], i % 3)).ToList();
        var settings = new TrainingSettings { Seed = 1, MaxGradNorm = 1.0 };
        var indices = Enumerable.Range(0, batch).ToArray();
        var times = new List<double>();
        var cpu = new List<double>();
        var process = Process.GetCurrentProcess();
        for (int step = 0; step < warmup + steps; step++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            TrainingLoop.Step(model, task, examples, indices, optimizer, trainable, 5e-4, settings, step, CPU);
            if (step < warmup) continue;
            times.Add(sw.Elapsed.TotalMilliseconds);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpu0).TotalMilliseconds);
        }
        return new JsonObject
        {
            ["method"] = method, ["seq"] = seq, ["batch"] = batch, ["precision"] = precision, ["checkpointing"] = BenchArgs.Name(checkpointing),
            ["ms"] = new JsonArray(times.Select(t => (JsonNode?)t).ToArray()), ["cpu_ms"] = new JsonArray(cpu.Select(t => (JsonNode?)t).ToArray()),
            ["peak_rss_mb"] = TorchRuntime.PeakResidentBytes() / 1048576.0, ["activations_mb"] = ActivationBytes(model, task, examples) / 1048576.0,
            ["trainable"] = TrainableParameterReport.Of(model).Trainable, ["total"] = TrainableParameterReport.Of(model).Total,
        };
    }

    /// <summary>What the graph holds after a forward pass: memory allocated after it minus before it.</summary>
    private static long ActivationBytes(SequenceClassificationModel model, TextClassificationTrainingTask task, List<ClassificationExample> examples)
    {
        using var scope = NewDisposeScope();
        var batch = task.Collate(examples, CPU);
        long before = NativeMemory.AllocatedBytes();
        var loss = task.Loss(model.forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds), batch);
        long after = NativeMemory.AllocatedBytes();
        loss.backward();
        return after - before;
    }
}
