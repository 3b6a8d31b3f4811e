using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;

namespace SentimentApi;

/// <summary>
/// Without micro-batching: a pool of PredictionEngines (not thread-safe, so one request uses one engine at a time; the pool
/// makes more when all are busy), each text a forward pass of its own. The comparison point of the bench.
/// </summary>
public sealed class EnginePoolScorer(ClassifierModel model) : ITextScorer
{
    private readonly ObjectPool<PredictionEngine<ModelInput, ModelOutput>> engines =
        new DefaultObjectPoolProvider { MaximumRetained = 4 * Environment.ProcessorCount }.Create(new EnginePolicy(model));

    /// <inheritdoc />
    public bool MicroBatching => false;

    /// <inheritdoc />
    public Task<float[][]> ScoreAsync(IReadOnlyList<string> texts)
    {
        var engine = engines.Get();
        try
        {
            return Task.FromResult(texts.Select(t => engine.Predict(new ModelInput { Text = t }).Score).ToArray());
        }
        finally
        {
            engines.Return(engine);
        }
    }

    private sealed class EnginePolicy(ClassifierModel model) : PooledObjectPolicy<PredictionEngine<ModelInput, ModelOutput>>
    {
        // ML.NET's engines own their transformer by default, and the pool disposes the engines it does not keep: an owning
        // engine would dispose the one model every engine scores with (later requests then got ObjectDisposedException).
        public override PredictionEngine<ModelInput, ModelOutput> Create() => model.MLContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(
            model.Transformer, new PredictionEngineOptions { OwnsTransformer = false });

        public override bool Return(PredictionEngine<ModelInput, ModelOutput> engine) => true;
    }
}
