using Samples.Common;

namespace SentimentApi;

/// <summary>What a run of the API serves and how, from the command line.</summary>
public sealed record ApiSettings
{
    /// <summary>The options that take a value.</summary>
    public static readonly string[] ValueOptions = ["model", "urls", "batching", "max-batch"];

    /// <summary>The command-line help.</summary>
    public const string Usage = """
        SentimentApi: serves a text classifier's model.zip over HTTP.
          POST /predict  {"text": "..."} or {"texts": ["...", ...]}  →  {"predictions": [{"label": ..., "probabilities": {...}}]}
          GET  /health   status, model, classes, batching

        Options:
          --model FILE         the model.zip (default: samples/SentimentAnalyst/output/model.zip, written by that sample)
          --urls URLS          where to listen (default: http://127.0.0.1:5000; port 0 picks a free port)
          --batching on|off    micro-batching of concurrent requests into one forward pass (default: on);
                               off: a pool of PredictionEngines, one request per engine at a time
          --max-batch N        the most texts in one forward pass (default: 32)
          --help               this text
        """;

    /// <summary>The model to serve.</summary>
    public required string ModelPath { get; init; }
    /// <summary>Kestrel's listening URLs.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5000";
    /// <summary>Whether concurrent requests share forward passes.</summary>
    public bool MicroBatching { get; init; } = true;
    /// <summary>The most texts in one forward pass.</summary>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>Reads the settings from a parsed command line.</summary>
    /// <exception cref="UsageException">A value is malformed or the model file does not exist.</exception>
    public static ApiSettings From(CommandLine cl)
    {
        string model = cl.ExistingFile("model")
            ?? Path.Combine(SampleFolders.OutputOf("SentimentAnalyst"), "model.zip");
        if (!File.Exists(model))
            throw new UsageException($"no model at {model}: run `dotnet run -c Release --project samples/SentimentAnalyst` first, or pass --model FILE");
        var defaults = new ApiSettings { ModelPath = "" };
        return new ApiSettings
        {
            ModelPath = model,
            Urls = cl.String("urls") ?? defaults.Urls,
            MicroBatching = cl.String("batching") switch
            {
                null or "on" => true,
                "off" => false,
                var other => throw new UsageException($"--batching must be on or off, got '{other}'"),
            },
            MaxBatchSize = cl.Int("max-batch", 1) ?? defaults.MaxBatchSize,
        };
    }
}
