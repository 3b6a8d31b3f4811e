using System.Reflection;
using SentimentApi.Client;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// <c>api [--zip model.zip] [--requests N] [--parallel N] [--rounds N] [--train-rows N]</c>: samples/SentimentApi serving a
/// MiniLM sentiment classifier (the given zip, or the onnx bench's LoRA classifier fine-tuned here and saved as
/// <c>bench/output/api-classifier-N.zip</c>, reused), once with micro-batching and once with a pool of PredictionEngines, each in
/// its own child process on 127.0.0.1. Each round sends the same N one-text requests (validation sentences) with P in flight
/// to both, interleaved; p50/p95 latency and requests/s over all rounds.
/// </summary>
internal static class ApiBench
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    public static int Run(string[] args)
    {
        var options = BenchArgs.Parse(args, "--zip FILE, --requests N, --parallel N, --rounds N, --train-rows N");
        string? zip = options.String("zip");
        int requests = options.Int("requests") ?? 300, parallel = options.Int("parallel") ?? 16, rounds = options.Int("rounds") ?? 2;
        int trainRows = options.Int("train-rows") ?? 640;
        string source = zip is null ? $"MiniLM, LoRA r=8 all-linear, 1 epoch on {trainRows} rows" : Path.GetFileName(zip);
        zip ??= Classifier(trainRows);

        var texts = BenchData.SentimentTexts(BenchEnvironment.SentimentValid);
        var load = Enumerable.Range(0, requests).Select(i => (IReadOnlyList<string>)[texts[i % texts.Length]]).ToList();
        string dll = typeof(ApiBench).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SentimentApiPath").Value!;
        string dotnet = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        using var batching = ApiServerProcess.Start(dotnet, dll, zip, StartTimeout, "--batching", "on");
        using var pool = ApiServerProcess.Start(dotnet, dll, zip, StartTimeout, "--batching", "off");
        // One request at a time (no batching possible: the cost of the path itself), then P in flight.
        int[] levels = parallel == 1 ? [1] : [1, parallel];
        var modes = levels.SelectMany(level => new (string Name, int InFlight, ApiServerProcess Server, List<LoadResult> Results, double[] Wall)[]
        {
            ("micro-batching (ConcurrentPredictor, ≤ 32 per pass)", level, batching, [], new double[1]),
            ("PredictionEngine pool (one text per pass)", level, pool, [], new double[1]),
        }).ToArray();
        foreach (var mode in modes)
        {
            using var client = new HttpClient { BaseAddress = mode.Server.Address, Timeout = TimeSpan.FromMinutes(10) };
            LoadRun.RunAsync(client, load.Take(2 * parallel).ToList(), mode.InFlight).GetAwaiter().GetResult();   // warm-up
        }
        for (int round = 0; round < rounds; round++)
            foreach (var mode in modes)
            {
                using var client = new HttpClient { BaseAddress = mode.Server.Address, Timeout = TimeSpan.FromMinutes(10) };
                var (results, wall) = LoadRun.RunAsync(client, load, mode.InFlight).GetAwaiter().GetResult();
                if (results.FirstOrDefault(r => r.Status != 200) is { } failed) throw new InvalidOperationException($"{mode.Name}: a request got {failed.Status}");
                mode.Results.AddRange(results);
                mode.Wall[0] += wall.TotalSeconds;
                Console.WriteLine($"round {round + 1}/{rounds}, {mode.Name}, {mode.InFlight} in flight: {requests / wall.TotalSeconds:F1} requests/s");
            }

        var table = new ResultTable("SentimentApi: micro-batching vs a PredictionEngine pool",
            "server", "requests", "in flight", "p50 ms", "p95 ms", "requests/s");
        foreach (var (name, inFlight, _, results, wall) in modes)
            table.Add(name, results.Count, inFlight, Math.Round(LoadRun.Percentile(results, 50)), Math.Round(LoadRun.Percentile(results, 95)),
                Math.Round(results.Count / wall[0], 1));
        table.Note($"Model: {source}; one validation sentence per request; {rounds} interleaved rounds of {requests} requests after a warm-up of "
            + $"{2 * parallel}; client and both servers on this machine (child processes, 127.0.0.1). Latency is the client's, request to parsed answer. "
            + "On a machine shared with other jobs the pool's many busy threads also win a larger share of the CPU from the scheduler; compare on a quiet machine.");
        table.Record(args.Length == 0 ? "api" : "api " + string.Join(' ', args));
        return 0;
    }

    private static string Classifier(int trainRows)
    {
        var path = Path.Combine(BenchEnvironment.OutputFolder, $"api-classifier-{trainRows}.zip");
        if (File.Exists(path)) return path;
        var ml = new MLContext(seed: 1);
        var model = OnnxBench.FineTune(ml, trainRows, threads: Environment.ProcessorCount);
        var input = ml.Data.LoadFromEnumerable(Array.Empty<TextOnly>()).Schema;   // the API sends Text only
        ml.Model.SaveAtomically(model, input, path);
        Console.WriteLine($"saved {path}");
        return path;
    }

    private sealed class TextOnly
    {
        public string Text { get; set; } = "";
    }
}
