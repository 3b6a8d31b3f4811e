using Microsoft.ML.Data;
using Microsoft.ML.Lora.Tests.Reliability.Concurrency;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Memory;

/// <summary>
/// Dispose on fine-tuned models frees their native weights now; every later use says so (ObjectDisposedException with what
/// to do) instead of reading freed memory; a calibrated copy keeps the weights it shares; calls in flight finish first.
/// </summary>
public class DisposeTests(TinyClassifierFixture fixture) : IClassFixture<TinyClassifierFixture>
{
    private (ITransformer Chain, LoraTextClassificationTransformer Model) Load()
    {
        var chain = fixture.Ml.Model.Load(fixture.Zip, out _);
        var model = chain as LoraTextClassificationTransformer
            ?? Assert.IsType<LoraTextClassificationTransformer>(Assert.IsAssignableFrom<IEnumerable<ITransformer>>(chain).Last());
        return (chain, model);
    }

    private IDataView Data(params string[] texts) => fixture.Ml.Data.LoadFromEnumerable(texts.Select(GatedRow.Of));

    [Fact]
    public void ALoadedModelDisposedThroughItsChainRefusesEveryUse()
    {
        var (chain, model) = Load();
        var engine = fixture.Ml.Model.CreatePredictionEngine<GatedRow, ScoreOnly>(chain);
        Assert.Equal(3, engine.Predict(GatedRow.Of("good news")).Score.Length);
        var pending = chain.Transform(Data("good news", "bad news"));   // a view made before, read after

        ((IDisposable)chain).Dispose();
        ((IDisposable)chain).Dispose();   // twice: nothing happens

        void Refused(Action use)
        {
            var ex = Assert.Throws<ObjectDisposedException>(use);
            Assert.Contains("disposed", ex.Message);
            Assert.Contains("Load the .zip again", ex.Message);
        }
        Refused(() => engine.Predict(GatedRow.Of("good news")));
        Refused(() => chain.Transform(Data("good news")));
        Refused(() => pending.GetColumn<float[]>("Score").ToArray());
        Refused(() => fixture.Ml.Model.CreatePredictionEngine<GatedRow, ScoreOnly>(chain));
        using var temp = new TempFolder();
        Refused(() => model.SaveAdapter(temp["adapter"]));
        Refused(() => fixture.Ml.Model.Save(chain, null, temp["again.zip"]));
        Refused(() => model.ExportToOnnx(temp["model.onnx"]));
    }

    [Fact]
    public void ACalibratedCopyKeepsTheWeightsItSharesUntilItIsDisposedToo()
    {
        var (_, model) = Load();
        var labelled = fixture.Ml.Transforms.Conversion.MapValueToKey("Label")
            .Fit(fixture.Ml.Data.LoadFromEnumerable(TextClassification.ToyData.Sentiment(repeat: 1)))
            .Transform(fixture.Ml.Data.LoadFromEnumerable(TextClassification.ToyData.Sentiment(repeat: 1)));
        using var calibrated = model.Calibrate(labelled);
        var before = calibrated.Transform(Data("good news")).GetColumn<float[]>("Score").Single();

        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.Transform(Data("good news")));
        Assert.Throws<ObjectDisposedException>(() => model.Calibrate(labelled));
        Assert.Equal(before, calibrated.Transform(Data("good news")).GetColumn<float[]>("Score").Single());

        calibrated.Dispose();
        Assert.Throws<ObjectDisposedException>(() => calibrated.Transform(Data("good news")).GetColumn<float[]>("Score").ToArray());
    }

    [Fact]
    public void DisposeWaitsForACallInFlightAndRefusesNewOnes()
    {
        var (_, model) = Load();
        var weights = model.ScoringModel;
        var inFlight = weights.Use();   // what a prediction on another thread holds while it runs
        var disposing = new Thread(model.Dispose);
        disposing.Start();
        Assert.False(disposing.Join(300), "Dispose returned while a call still held the weights");
        Assert.Throws<ObjectDisposedException>(() => weights.Use());   // new calls are refused meanwhile
        inFlight.Dispose();
        disposing.Join();
        Assert.Throws<ObjectDisposedException>(() => weights.Use());
    }
}
