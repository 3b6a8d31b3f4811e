using Microsoft.ML.Data;
using Microsoft.ML.Lora.Tests.Reliability;
using Microsoft.ML.Lora.Tests.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Pipeline;

/// <summary>
/// <see cref="ConcurrentPredictor{TSrc, TDst}.PredictAsync(IReadOnlyList{TSrc})"/>: the predictions of PredictionEngine, in order;
/// calls that arrive while a batch scores are scored together in the next one.
/// </summary>
public class ConcurrentPredictorAsyncTests(TinyClassifierFixture fixture) : IClassFixture<TinyClassifierFixture>
{
    public sealed class Input
    {
        public string Sentence1 { get; set; } = "";
    }

    public sealed class Output
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = [];
    }

    private static readonly string[] Texts = ToyData.Sentiment(repeat: 1).Select(r => r.Sentence1).ToArray();

    [Fact]
    public async Task ConcurrentAsyncAndBlockingCallsGetThePredictionEnginesAnswers()
    {
        var engine = fixture.Ml.Model.CreatePredictionEngine<Input, Output>(fixture.Model);
        var expected = Texts.Select(t => engine.Predict(new Input { Sentence1 = t })).ToArray();
        var predictor = fixture.Ml.Model.CreateConcurrentPredictor<Input, Output>(fixture.Model, maxBatchSize: 4);

        // 8 callers at once: single async calls, many-example async calls and blocking calls, all through one predictor.
        var calls = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            var inputs = Texts.Select(t => new Input { Sentence1 = t }).ToArray();
            return (c % 3) switch
            {
                0 => await predictor.PredictAsync(inputs),
                1 => await Task.WhenAll(inputs.Select(predictor.PredictAsync)),
                _ => inputs.Select(predictor.Predict).ToArray(),
            };
        })).ToArray();
        foreach (var answers in await Task.WhenAll(calls))
        {
            Assert.Equal(expected.Length, answers.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i].PredictedLabel, answers[i].PredictedLabel);
                for (int c = 0; c < expected[i].Score.Length; c++) Assert.Equal(expected[i].Score[c], answers[i].Score[c], 5);
            }
        }
        Assert.Empty(await predictor.PredictAsync(Array.Empty<Input>()));
    }

    [Fact]
    public async Task CallsThatArriveWhileABatchScoresShareTheNextForwardPass()
    {
        var gated = new GatedModel(fixture.Model);
        var predictor = fixture.Ml.Model.CreateConcurrentPredictor<Input, Output>(gated, maxBatchSize: 32);
        var first = Task.Run(() => predictor.Predict(new Input { Sentence1 = Texts[0] }));   // leads; held inside its batch
        gated.Entered.Wait();
        var queued = Texts.Skip(1).Take(10).Select(t => predictor.PredictAsync(new Input { Sentence1 = t })).ToArray();
        var many = predictor.PredictAsync(Texts.Take(5).Select(t => new Input { Sentence1 = t }).ToArray());
        Assert.All(queued, t => Assert.False(t.IsCompleted));
        gated.Release.Set();
        await Task.WhenAll(queued);
        await many;
        await first;
        Assert.Equal([1, 15], gated.BatchSizes);   // the 10 single calls and the 5 of one call, in one forward pass
    }

    [Fact]
    public async Task ANullExampleIsNamedByItsIndex()
    {
        var predictor = fixture.Ml.Model.CreateConcurrentPredictor<Input, Output>(fixture.Model);
        var ex = await Assert.ThrowsAsync<ArgumentNullException>(() => predictor.PredictAsync([new Input(), null!]));
        Assert.Contains("Example 1 of 2", ex.Message);

    }

    /// <summary>Holds the first batch until the test releases it, and records every batch's row count.</summary>
    private sealed class GatedModel(ITransformer inner) : ITransformer
    {
        private int calls;
        public ManualResetEventSlim Entered { get; } = new();
        public ManualResetEventSlim Release { get; } = new();
        public List<int> BatchSizes { get; } = [];
        public bool IsRowToRowMapper => inner.IsRowToRowMapper;
        public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inner.GetOutputSchema(inputSchema);
        public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => inner.GetRowToRowMapper(inputSchema);
        void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException();

        public IDataView Transform(IDataView input)
        {
            lock (BatchSizes) BatchSizes.Add(input.GetColumn<string>("Sentence1").Count());
            if (Interlocked.Increment(ref calls) == 1)
            {
                Entered.Set();
                Release.Wait();
            }
            return inner.Transform(input);
        }
    }
}
