// Benchmarks of Microsoft.ML.Lora. Each command prints a table and records it in bench/RESULTS.md (machine and date).
//   dotnet run -c Release --project bench -- <command> [options]
using Microsoft.ML.Lora.Bench;

var commands = new Dictionary<string, (string Help, Func<string[], int> Run)>
{
    ["encoder"] = ("encoder sentences/s vs ONNX Runtime (2,388 sentences, batches of 32, 2 threads)", EncoderBench.Run),
    ["train-step"] = ("ms per training step: LoRA / full / head-only vs PyTorch, FLOPs, roofline, peak RSS", TrainStepBench.Run),
    ["classify"] = ("sentiment fine-tuning: LoRA / full / head-only accuracy, time, RSS; scoring vs ONNX Runtime [--limit N] [--epochs N] [--score-only]", ClassifyBench.Run),
    ["methods"] = ("LoRA, full, head-only, last-2, adapters, prefix on sentiment: params, ms/step, RSS, accuracy, latency, size [--limit N] [--epochs N] [--threads N] [--only a,b]", MethodsBench.Run),
    ["ner"] = ("NER entity F1, time and peak RSS: LoRA vs full on WNUT-17 and SEC filings [--limit N] [--epochs N] [--threads N] [--only a,b]", NerBench.Run),
};
// --data DIR (any command): the data folder, laid out like ../shared/data (the default, beside the repository).
int dataAt = Array.IndexOf(args, "--data");
if (dataAt >= 0)
{
    if (dataAt + 1 >= args.Length || !Directory.Exists(args[dataAt + 1]))
    {
        Console.Error.WriteLine($"--data needs an existing folder laid out like ../shared/data{(dataAt + 1 < args.Length ? $", not {Path.GetFullPath(args[dataAt + 1])}" : "")}.");
        return 2;
    }
    BenchEnvironment.DataFolder = Path.GetFullPath(args[dataAt + 1]);
    args = [.. args[..dataAt], .. args[(dataAt + 2)..]];
}
if (args.Length == 0 || !commands.TryGetValue(args[0], out var command))
{
    Console.WriteLine("usage: dotnet run -c Release --project bench -- <command> [--data DIR]\n");
    foreach (var (name, (help, _)) in commands) Console.WriteLine($"  {name,-12} {help}");
    Console.WriteLine($"\n  --data DIR   data folder laid out like ../shared/data (default: ../shared/data beside the repository)");
    return args.Length == 0 ? 0 : 2;
}
return command.Run(args[1..]);
