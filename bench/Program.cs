// Benchmarks of Microsoft.ML.Lora. Each command prints a table and records it in bench/RESULTS.md (machine and date).
//   dotnet run -c Release --project bench -- <command> [options]
using Microsoft.ML.Lora.Bench;

var commands = new Dictionary<string, (string Help, Func<string[], int> Run)>
{
    ["encoder"] = ("encoder sentences/s vs ONNX Runtime (2,388 sentences, batches of 32, 2 threads)", EncoderBench.Run),
    ["train-step"] = ("ms per training step: LoRA / full / head-only, fp32 / bf16, checkpointing, vs PyTorch fp32 and autocast bf16; FLOPs, roofline, peak RSS, activations [--seq 64,128] [--methods lora,full,head] [--precisions fp32,bf16] [--steps 20] [--warmup 3] [--rounds 2] [--threads 2] [--no-python] [--no-checkpointing]", TrainStepBench.Run),
    ["scale"] = ("bert-base-shaped random model: LoRA vs full, fp32 vs bf16, ms/step and peak RSS; bert-large extrapolated [--seq 128] [--batch 8] [--steps 3] [--threads 2]", ScaleBench.Run),
    ["classify"] = ("sentiment fine-tuning: LoRA fp32 / LoRA bf16 / full / head-only accuracy, time, RSS; scoring (fp32 and bf16) vs ONNX Runtime; ECE before/after temperature scaling [--limit N] [--epochs N] [--only 0,1] [--score-only] [--calibration]", ClassifyBench.Run),
    ["onnx"] = ("ExportToOnnx on a MiniLM sentiment classifier: max |Δlogit| and sentences/s, ONNX Runtime on the export vs the library [--zip model.zip] [--train-rows N] [--rounds N]", OnnxBench.Run),
    ["methods"] = ("LoRA, full, head-only, last-2, adapters, prefix on sentiment: params, ms/step, RSS, accuracy, latency, size [--limit N] [--epochs N] [--threads N] [--only a,b]", MethodsBench.Run),
    ["api"] = ("samples/SentimentApi under load: p50/p95 latency and requests/s, micro-batching vs a PredictionEngine pool [--zip model.zip] [--requests N] [--parallel N] [--rounds N]", ApiBench.Run),
    ["adapters"] = ("RSS of 1 vs 5 LoRA classifiers imported on the embedded MiniLM, base weights shared vs one copy per model", AdaptersBench.Run),
    ["embedding"] = ("sentence embeddings: STS-B dev Spearman of cosine, untuned vs LoRA-tuned (cosine loss) [--limit N] [--epochs N] [--threads N] [--lr X] [--only lora,lora-all,full]", EmbeddingBench.Run),
    ["similarity"] = ("STS-B cross-encoder: LoRA / full / head-only dev Spearman and Pearson, time, RSS [--only a,b] [--limit N] [--epochs N] [--lr X] ...", SimilarityBench.Run),
    ["ner"] = ("NER entity F1, time and peak RSS: LoRA vs full on WNUT-17 and SEC filings [--limit N] [--epochs N] [--threads N] [--precision fp32|bf16] [--only a,b]", NerBench.Run),
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
