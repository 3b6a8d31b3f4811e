using Microsoft.ML.Lora.Tests.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Concurrency;

/// <summary>
/// <see cref="ConcurrentPredictor{TSrc, TDst}"/>: any number of threads share one, each gets its own example's prediction,
/// calls that arrive while a batch scores are scored together, and one bad example fails only its own call.
/// </summary>
public class ConcurrentPredictorTests(TinyClassifierFixture fixture) : IClassFixture<TinyClassifierFixture>
{
    private static readonly string[] Texts = ToyData.Sentiment(repeat: 2).Select(r => r.Sentence1).Distinct().ToArray();

    private float[] Alone(string text) => fixture.Ml.Model.CreatePredictionEngine<GatedRow, ScoreOnly>(fixture.Model).Predict(GatedRow.Of(text)).Score;

    private static void AssertClose(float[] expected, float[] actual, string text)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"'{text}': score {i} is {actual[i]}, alone {expected[i]}");
    }

    [Fact]
    public void EightThreadsSharingOnePredictorEachGetTheirOwnPredictions()
    {
        var predictor = fixture.Ml.Model.CreateConcurrentPredictor<GatedRow, ScoreOnly>(fixture.Model);
        var expected = Texts.ToDictionary(t => t, Alone);
        var results = Together.Run(8, worker => Enumerable.Range(0, 40)
            .Select(i => Texts[(i * 5 + worker) % Texts.Length])
            .Select(text => (Text: text, Score: predictor.Predict(GatedRow.Of(text)).Score))
            .ToArray());
        foreach (var (text, score) in results.SelectMany(r => r)) AssertClose(expected[text], score, text);
        Assert.InRange(predictor.Batches, 1, 8 * 40);
    }

    // Each example on its own thread: the first one's call holds its batch open (its text's first read waits) until all the
    // others are queued behind it, then everything runs. Each outcome is the Score or the exception of that call.
    private static object[] QueuedBehindTheFirst(ConcurrentPredictor<GatedRow, ScoreOnly> predictor, params GatedRow[] examples)
    {
        using var release = new ManualResetEventSlim();
        examples[0].OnFirstRead = release.Wait;
        var outcomes = new object[examples.Length];
        var threads = examples.Select((e, i) => new Thread(() =>
        {
            try { outcomes[i] = predictor.Predict(e).Score; }
            catch (Exception ex) { outcomes[i] = ex; }
        })).ToArray();
        threads[0].Start();
        SpinWait.SpinUntil(() => predictor.Pending == 0 && predictor.Batches == 1);
        foreach (var t in threads.Skip(1)) t.Start();
        SpinWait.SpinUntil(() => predictor.Pending == examples.Length - 1);
        release.Set();
        foreach (var t in threads) t.Join();
        return outcomes;
    }

    [Fact]
    public void CallsArrivingWhileABatchScoresAreScoredTogetherInTheNext()
    {
        var predictor = fixture.Ml.Model.CreateConcurrentPredictor<GatedRow, ScoreOnly>(fixture.Model);
        var outcomes = QueuedBehindTheFirst(predictor, Texts[..6].Select(GatedRow.Of).ToArray());

        Assert.Equal(2, predictor.Batches);   // the first alone, then the five that waited, in one forward pass
        for (int i = 0; i < 6; i++) AssertClose(Alone(Texts[i]), Assert.IsType<float[]>(outcomes[i]), Texts[i]);
    }

    [Fact]
    public void ABadExampleInABatchFailsOnlyItsOwnCall()
    {
        var predictor = fixture.Ml.Model.CreateConcurrentPredictor<GatedRow, ScoreOnly>(fixture.Model);
        var bad = new GatedRow { Unreadable = "example 3 cannot be read" };
        var outcomes = QueuedBehindTheFirst(predictor, GatedRow.Of(Texts[0]), GatedRow.Of(Texts[1]), GatedRow.Of(Texts[2]), bad, GatedRow.Of(Texts[4]));

        Assert.Contains("example 3 cannot be read", Flatten(Assert.IsAssignableFrom<Exception>(outcomes[3])));
        foreach (int i in new[] { 0, 1, 2, 4 }) AssertClose(Alone(Texts[i]), Assert.IsType<float[]>(outcomes[i]), Texts[i]);
    }

    [Fact]
    public void ArgumentsAndADisposedModelAreRefusedClearly()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Ml.Model.CreateConcurrentPredictor<GatedRow, ScoreOnly>(fixture.Model, maxBatchSize: 0));
        var predictor = fixture.Ml.Model.CreateConcurrentPredictor<GatedRow, ScoreOnly>(fixture.Model);
        Assert.Throws<ArgumentNullException>(() => predictor.Predict(null!));

        var loaded = fixture.Ml.Model.Load(fixture.Zip, out _);
        var onLoaded = fixture.Ml.Model.CreateConcurrentPredictor<GatedRow, ScoreOnly>(loaded);
        AssertClose(Alone(Texts[0]), onLoaded.Predict(GatedRow.Of(Texts[0])).Score, Texts[0]);
        ((IDisposable)loaded).Dispose();
        var ex = Assert.Throws<ObjectDisposedException>(() => onLoaded.Predict(GatedRow.Of(Texts[0])));
        Assert.Contains("Load the .zip again", ex.Message);
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);
}
