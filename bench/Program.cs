// Benchmarks of Microsoft.ML.Lora. Each command prints a table and records it in bench/RESULTS.md (machine and date).
//   dotnet run -c Release --project bench -- <command> [options]
using Microsoft.ML.Lora.Bench;

var commands = new Dictionary<string, (string Help, Func<string[], int> Run)>
{
    ["encoder"] = ("encoder sentences/s vs ONNX Runtime (2,388 sentences, batches of 32, 2 threads)", EncoderBench.Run),
    ["train-step"] = ("ms per training step: LoRA / full / head-only vs PyTorch, FLOPs, roofline, peak RSS", TrainStepBench.Run),
    ["classify"] = ("sentiment fine-tuning: LoRA / full / head-only accuracy, time, RSS; scoring vs ONNX Runtime; ECE before/after temperature scaling [--limit N] [--epochs N] [--score-only] [--calibration]", ClassifyBench.Run),
    ["onnx"] = ("ExportToOnnx on a MiniLM sentiment classifier: max |Δlogit| and sentences/s, ONNX Runtime on the export vs the library [--zip model.zip] [--train-rows N] [--rounds N]", OnnxBench.Run),
    ["methods"] = ("LoRA, full, head-only, last-2, adapters, prefix on sentiment: params, ms/step, RSS, accuracy, latency, size [--limit N] [--epochs N] [--threads N] [--only a,b]", MethodsBench.Run),
    ["adapters"] = ("RSS of 1 vs 5 LoRA classifiers imported on the embedded MiniLM, base weights shared vs one copy per model", AdaptersBench.Run),
    ["embedding"] = ("sentence embeddings: STS-B dev Spearman of cosine, untuned vs LoRA-tuned (cosine loss) [--limit N] [--epochs N] [--threads N] [--lr X] [--only lora,lora-all,full]", EmbeddingBench.Run),
    ["similarity"] = ("STS-B cross-encoder: LoRA / full / head-only dev Spearman and Pearson, time, RSS [--only a,b] [--limit N] [--epochs N] [--lr X] ...", SimilarityBench.Run),
    ["ner"] = ("NER entity F1, time and peak RSS: LoRA vs full on WNUT-17 and SEC filings [--limit N] [--epochs N] [--threads N] [--only a,b]", NerBench.Run),
    ["qa"] = ("SQuAD v1.1 EM/F1, train windows/s, scoring questions/s, peak RSS: LoRA vs full [--train-questions N] [--limit N] [--epochs N] [--max-length N] [--only a,b]", QaBench.Run),
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
