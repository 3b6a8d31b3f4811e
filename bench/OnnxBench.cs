using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Training;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// <c>onnx [--zip model.zip] [--train-rows N] [--rounds N] [--threads N] [--limit N]</c>: a MiniLM sentiment classifier (the
/// given model.zip, or LoRA r=8 on every linear layer fine-tuned for one epoch on N random training rows, seed 7, saved as
/// <c>bench/output/onnx-classifier.zip</c> for <c>--zip</c> next time) exported with <c>ExportToOnnx</c>; max |Δlogit| between
/// ONNX Runtime on the export and the library over the 2,388 validation sentences; then sentences/s of the library's own
/// scoring against ONNX Runtime on the export, in interleaved rounds of the same run. Recorded in RESULTS.md unless
/// <c>--limit</c> scores only the first N sentences.
/// </summary>
internal static class OnnxBench
{
    private const int MaxLength = 128;

    public static int Run(string[] args)
    {
        string? zip = Option(args, "--zip");
        int trainRows = int.Parse(Option(args, "--train-rows") ?? "640", CultureInfo.InvariantCulture);
        int rounds = int.Parse(Option(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        int threads = int.Parse(Option(args, "--threads") ?? "2", CultureInfo.InvariantCulture);
        int? limit = Option(args, "--limit") is { } l ? int.Parse(l, CultureInfo.InvariantCulture) : null;
        TorchRuntime.ConfigureThreads(threads);
        var ml = new MLContext(seed: 1);
        LoraTextClassificationTransformer model;
        if (zip is null)
        {
            model = FineTune(ml, trainRows, threads);
            var saved = Path.Combine(BenchEnvironment.OutputFolder, "onnx-classifier.zip");
            ml.Model.Save(model, null, saved);
            Console.WriteLine($"saved {saved} (re-run with --zip {saved})");
        }
        else model = (LoraTextClassificationTransformer)LoadSingle(ml, zip);
        string source = zip is null ? $"LoRA r=8 all-linear, 1 epoch on {trainRows} random training rows (seed 7)" : Path.GetFileName(zip);

        var folder = Path.Combine(BenchEnvironment.OutputFolder, "onnx");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        var onnxPath = Path.Combine(folder, "model.onnx");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        model.ExportToOnnx(onnxPath);
        double exportSeconds = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"exported {source} to {onnxPath} ({new FileInfo(onnxPath).Length / 1048576.0:F1} MiB) in {exportSeconds:F1} s");

        var texts = BenchData.SentimentTexts(BenchEnvironment.SentimentValid);
        if (limit is { } n) texts = texts[..Math.Min(n, texts.Length)];
        var scoring = model.ScoringModel;
        var tokenizer = Tokenization.TextTokenizer.FromHuggingFaceFolder(folder);
        using var session = ScoringThroughput.OrtSession(File.ReadAllBytes(onnxPath), threads);

        // Parity: the library's logits (its own batching) vs ONNX Runtime's on the export's own tokenizer files.
        var encoded = texts.Select(t => scoring.Tokenizer.Encode(t, null, scoring.MaxSequenceLength)).ToList();
        var library = BatchedLogits.Compute(scoring, encoded.Select(e => e.InputIds.ToArray()).ToList(),
            encoded.Select(e => e.TokenTypeIds.ToArray()).ToList(), 32, perToken: false);
        var ort = new float[texts.Length][];
        ScoringThroughput.Ort(session, tokenizer, texts, scoring.MaxSequenceLength, result: ort)();
        double maxDiff = 0, sumDiff = 0;
        int sameArgMax = 0;
        for (int r = 0; r < texts.Length; r++)
        {
            for (int c = 0; c < library[r].Length; c++)
            {
                double d = Math.Abs(library[r][c] - ort[r][c]);
                maxDiff = Math.Max(maxDiff, d);
                sumDiff += d;
            }
            if (ArgMax(library[r]) == ArgMax(ort[r])) sameArgMax++;
        }
        Console.WriteLine($"max |Δlogit| {maxDiff:E2}, mean {sumDiff / (texts.Length * library[0].Length):E2}, same argmax {sameArgMax}/{texts.Length}");

        // Throughput, interleaved rounds: the library's Transform, ONNX Runtime in file order, ONNX Runtime with the library's batching.
        var engines = new (string Name, Action Score)[]
        {
            ("Microsoft.ML.Lora Transform (TorchSharp)", ScoringThroughput.Transformer(model, texts)),
            ("ONNX Runtime on the export, file order", ScoringThroughput.Ort(session, tokenizer, texts, MaxLength)),
            ("ONNX Runtime on the export, the library's batching", ScoringThroughput.Ort(session, tokenizer, texts, MaxLength, LibraryBatches(encoded))),
        };
        foreach (var (_, score) in engines) score();   // warm-up
        var runs = engines.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
            for (int e = 0; e < engines.Length; e++)
            {
                runs[e].Add(ScoringThroughput.Once(engines[e].Score, texts.Length));
                Console.WriteLine($"round {round + 1}: {engines[e].Name} {runs[e][^1]:F1} sentences/s");
            }

        var table = new ResultTable($"ONNX export (MiniLM sentiment classifier, {texts.Length:N0} valid sentences, {threads} threads)",
            "engine", $"sentences/s (median of {rounds})", "min", "max", "vs library", "max |Δlogit| vs library");
        double libraryMedian = EncoderBench.Median(runs[0]);
        for (int e = 0; e < engines.Length; e++)
        {
            double median = EncoderBench.Median(runs[e]);
            table.Add(engines[e].Name, median, runs[e].Min(), runs[e].Max(), $"{median / libraryMedian:F2}×", e == 0 ? "—" : maxDiff.ToString("E2", CultureInfo.InvariantCulture));
        }
        table.Note($"Model: {source}; export {exportSeconds:F1} s, model.onnx {new FileInfo(onnxPath).Length / 1048576.0:F1} MiB (opset 17, float32). "
            + $"Logits over all {texts.Length} sentences: max |Δ| {maxDiff:E2}, mean |Δ| {sumDiff / (texts.Length * library[0].Length):E2}, same predicted class {sameArgMax}/{texts.Length}.");
        table.Note($"Scoring end to end (tokenization included), {threads} threads each, interleaved rounds after a warm-up. The library: Transform over the sentences "
            + "(look-ahead windows of 256 sorted by length, batches of 32, last layer for the first token only). ONNX Runtime (ORT_ENABLE_ALL) on the export, batches of 32 "
            + "padded to their longest: in file order, and in the library's length-sorted batches. The export also computes the last layer for the first token only.");
        table.Note($"PROVISIONAL: measured while other developers shared the machine (load average {LoadAverage()} on {Environment.ProcessorCount} cores); "
            + "re-run on a quiet machine (`dotnet run -c Release --project bench -- onnx`).");
        if (limit is null) table.Record(threads == 2 ? "onnx" : $"onnx --threads {threads}");
        else table.Print();
        return 0;
    }

    private static LoraTextClassificationTransformer FineTune(MLContext ml, int trainRows, int threads)
    {
        // A random sample (the file is grouped by label): every class, the same rows on every run.
        var rows = ml.Data.CreateEnumerable<BenchData.SentimentRow>(BenchData.LoadSentiment(ml, BenchEnvironment.SentimentTrain), reuseRowObject: false).ToArray();
        new Random(7).Shuffle(rows);
        var train = ml.Data.LoadFromEnumerable(rows.Take(trainRows));
        var keyed = ml.Data.Cache(ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train));
        return ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            Sentence1ColumnName = "Text", LabelColumnName = "Label", Epochs = 1, BatchSize = 32, MaxSequenceLength = MaxLength,
            Method = FineTuningMethod.Lora(new LoraOptions { Rank = 8, Alpha = 16, TargetAllLinear = true }), LearningRate = 2e-3,
            NumberOfThreads = threads, Seed = 7, Progress = new Progress<TrainingProgress>(p => Console.WriteLine(p.ToString())),
        }).Fit(keyed);
    }

    private static ITransformer LoadSingle(MLContext ml, string zip)
    {
        var loaded = ml.Model.Load(zip, out _);
        var chain = loaded as TransformerChain<ITransformer>;
        return chain?.OfType<LoraTextClassificationTransformer>().Single() ?? loaded;
    }

    /// <summary>The library's scoring order: look-ahead windows of 8 batches, each sorted by length into batches of 32.</summary>
    private static List<int[]> LibraryBatches(IReadOnlyList<Tokenization.EncodedText> encoded)
    {
        const int window = 8 * 32;
        var batches = new List<int[]>();
        for (int start = 0; start < encoded.Count; start += window)
        {
            int end = Math.Min(start + window, encoded.Count);
            var lengths = Enumerable.Range(start, end - start).Select(i => encoded[i].Length).ToArray();
            batches.AddRange(LengthBucketing.ScoringBatches(lengths, 32).Select(b => b.Select(i => i + start).ToArray()));
        }
        return batches;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static int ArgMax(float[] v) => Array.IndexOf(v, v.Max());

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
