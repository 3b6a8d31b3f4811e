namespace SentimentApi;

/// <summary>The body of <c>POST /predict</c>: one text (<c>{"text": "..."}</c>) or many (<c>{"texts": ["...", "..."]}</c>).</summary>
public sealed record PredictRequest(string? Text = null, IReadOnlyList<string?>? Texts = null);

/// <summary>The answer of <c>POST /predict</c>: one prediction per text, in the request's order.</summary>
public sealed record PredictResponse(IReadOnlyList<TextPrediction> Predictions);

/// <summary>A text's class and the model's (calibrated) probability of every class, by class name.</summary>
public sealed record TextPrediction(string Label, IReadOnlyDictionary<string, float> Probabilities);

/// <summary>The answer of <c>GET /health</c>.</summary>
public sealed record HealthResponse(string Status, string Model, IReadOnlyList<string> Classes, bool MicroBatching, int MaxBatchSize);
