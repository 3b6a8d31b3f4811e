namespace SentimentApi;

/// <summary>The API: <c>POST /predict</c> and <c>GET /health</c>.</summary>
public static class Endpoints
{
    /// <summary>Maps the routes onto <paramref name="app"/>.</summary>
    public static void Map(WebApplication app, ClassifierModel model, ITextScorer scorer, int maxBatchSize)
    {
        app.MapPost("/predict", async (HttpRequest request) =>
        {
            var (texts, error) = await PredictRequestReader.ReadAsync(request);
            if (texts is null) return Results.Problem(title: "Invalid request", detail: error, statusCode: StatusCodes.Status400BadRequest);
            var scores = await scorer.ScoreAsync(texts);
            return Results.Ok(new PredictResponse(scores.Select(model.Describe).ToArray()));
        });
        app.MapGet("/health", () => Results.Ok(new HealthResponse("ok", Path.GetFileName(model.Path), model.ClassNames, scorer.MicroBatching, maxBatchSize)));
    }
}
