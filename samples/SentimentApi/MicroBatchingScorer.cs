using Microsoft.ML;
using Microsoft.ML.Lora;

namespace SentimentApi;

/// <summary>
/// One <see cref="ConcurrentPredictor{TSrc, TDst}"/> for all requests: texts that arrive while a batch is scoring are
/// scored together in the next forward pass (at most <c>--max-batch</c> texts), and waiting requests hold no thread.
/// </summary>
public sealed class MicroBatchingScorer(ClassifierModel model, int maxBatchSize) : ITextScorer
{
    private readonly ConcurrentPredictor<ModelInput, ModelOutput> predictor =
        model.MLContext.Model.CreateConcurrentPredictor<ModelInput, ModelOutput>(model.Transformer, maxBatchSize);

    /// <inheritdoc />
    public bool MicroBatching => true;

    /// <inheritdoc />
    public async Task<float[][]> ScoreAsync(IReadOnlyList<string> texts)
        => (await predictor.PredictAsync(texts.Select(t => new ModelInput { Text = t }).ToArray())).Select(o => o.Score).ToArray();
}
