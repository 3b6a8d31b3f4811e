// SentimentApi: a text classifier's model.zip (samples/SentimentAnalyst writes one) behind an ASP.NET Core minimal API.
// Concurrent requests are micro-batched into shared forward passes (ConcurrentPredictor); --batching off uses a pool of
// PredictionEngines instead, the comparison point of `bench -- api`.
using Samples.Common;
using SentimentApi;

return SampleRunner.Run(() =>
{
    var commandLine = CommandLine.Parse(args, ApiSettings.ValueOptions);
    if (commandLine.HelpRequested)
    {
        Console.WriteLine(ApiSettings.Usage);
        return 0;
    }
    var settings = ApiSettings.From(commandLine);
    var model = ClassifierModel.Load(settings.ModelPath);
    ITextScorer scorer = settings.MicroBatching ? new MicroBatchingScorer(model, settings.MaxBatchSize) : new EnginePoolScorer(model);

    var builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.UseUrls(settings.Urls);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);   // no line per request
    // Without batching every request holds a thread through its forward pass: let the pool have them from the start.
    ThreadPool.GetMinThreads(out int workers, out int io);
    ThreadPool.SetMinThreads(Math.Max(workers, 64), io);
    var app = builder.Build();
    Endpoints.Map(app, model, scorer, settings.MaxBatchSize);

    app.Start();
    Console.WriteLine($"model {model.Path}: classes {string.Join(", ", model.ClassNames)}; micro-batching {(settings.MicroBatching ? $"on (up to {settings.MaxBatchSize} texts per forward pass)" : "off (a pool of PredictionEngines)")}");
    foreach (var url in app.Urls) Console.WriteLine($"listening on {url}");
    app.WaitForShutdown();
    return 0;
});
