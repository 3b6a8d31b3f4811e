using Microsoft.ML.Lora.Tests.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Concurrency;

/// <summary>
/// One PredictionEngine used from two threads: ML.NET's engine keeps one input row, so the second thread's example replaces
/// the first's. The library's scoring row detects it and throws, naming the problem and the thread-safe alternative, instead
/// of returning the other thread's scores.
/// </summary>
public class PredictionEngineConcurrencyTests(TinyClassifierFixture fixture) : IClassFixture<TinyClassifierFixture>
{
    private static readonly string[] Texts = ToyData.Sentiment(repeat: 1).Select(r => r.Sentence1).ToArray();

    private float[] Alone(string text) => fixture.Ml.Model.CreatePredictionEngine<GatedRow, ScoreOnly>(fixture.Model).Predict(GatedRow.Of(text)).Score;

    [Fact]
    public void ASecondThreadPredictingWhileTheFirstScoresFailsBothAndTheEngineRefusesFurtherUse()
    {
        var engine = fixture.Ml.Model.CreatePredictionEngine<GatedRow, ScoreOnly>(fixture.Model);
        using var firstInside = new ManualResetEventSlim();
        using var secondDone = new ManualResetEventSlim();
        var first = GatedRow.Of("the stock was good today");
        first.OnFirstRead = () =>
        {
            firstInside.Set();
            secondDone.Wait();
        };
        Exception? firstError = null;
        var thread = new Thread(() =>
        {
            try { engine.Predict(first); }
            catch (Exception e) { firstError = e; }
        });
        thread.Start();
        firstInside.Wait();
        var second = Assert.Throws<InvalidOperationException>(() => engine.Predict(GatedRow.Of("bad news")));
        secondDone.Set();
        thread.Join();

        Assert.Contains("used from two threads at once", second.Message);
        Assert.Contains("CreateConcurrentPredictor", second.Message);
        Assert.Contains("used from two threads at once", Assert.IsType<InvalidOperationException>(firstError).Message);
        // Its buffers were shared by two predictions: the engine refuses further use; a new engine is unaffected.
        Assert.Contains("create a new one", Assert.Throws<InvalidOperationException>(() => engine.Predict(GatedRow.Of("bad news"))).Message);
        var fresh = fixture.Ml.Model.CreatePredictionEngine<GatedRow, ScoreOnly>(fixture.Model);
        Assert.Equal(Alone("bad news"), fresh.Predict(GatedRow.Of("bad news")).Score);
    }

    [Fact]
    public void TwoThreadsHammeringOneEngineGetTheirOwnScoresOrTheError()
    {
        var expected = Texts.ToDictionary(t => t, Alone);
        var engine = fixture.Ml.Model.CreatePredictionEngine<GatedRow, ScoreOnly>(fixture.Model);
        var outcomes = Together.Run(2, worker =>
        {
            var wrong = new List<string>();
            int errors = 0;
            for (int i = 0; i < 300; i++)
            {
                var text = Texts[(i * 7 + worker * 3) % Texts.Length];
                try
                {
                    // A pause inside the read (as on a busy machine) gives the other thread time to step in.
                    var score = engine.Predict(new GatedRow { Sentence1 = text, OnFirstRead = () => Thread.Sleep(1) }).Score;
                    if (!score.SequenceEqual(expected[text])) wrong.Add(text);
                }
                catch (InvalidOperationException e) when (e.Message.Contains("used from two threads at once", StringComparison.Ordinal)) { errors++; }
            }
            return (Wrong: wrong, Errors: errors);
        });
        // Never another row's scores, never a null Score: every call gave its own result or said why not.
        Assert.All(outcomes, o => Assert.Empty(o.Wrong));
    }

    [Fact]
    public void OneEngineHandedFromThreadToThreadNeverThrows()
    {
        // What an engine pool does: one thread at a time, a different thread each time.
        var engine = fixture.Ml.Model.CreatePredictionEngine<GatedRow, ScoreOnly>(fixture.Model);
        var expected = Texts.ToDictionary(t => t, Alone);
        var turn = new object();
        var results = Together.Run(4, worker =>
        {
            int right = 0;
            for (int i = worker; i < Texts.Length; i += 4)
                lock (turn)
                    if (engine.Predict(GatedRow.Of(Texts[i])).Score.SequenceEqual(expected[Texts[i]])) right++;
            return right;
        });
        Assert.Equal(Texts.Length, results.Sum());
    }
}
