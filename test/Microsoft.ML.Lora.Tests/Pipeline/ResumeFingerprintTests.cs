using Microsoft.ML.Lora.Tests.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Pipeline;

/// <summary>
/// A checkpoint is resumed only by the run that wrote it: the same options (every one that changes training) and the same
/// examples, labels included. Each case interrupts a run after its first step, then fits again with one thing changed.
/// </summary>
public class ResumeFingerprintTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string baseFolder;

    public ResumeFingerprintTests() => baseFolder = TinyHuggingFaceFolder.Create(temp);

    public void Dispose() => temp.Dispose();

    private LoraTextClassificationOptions Options() => new()
    {
        BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder),
        Method = FineTuningMethod.Lora(new LoraOptions { Rank = 2, Alpha = 4 }),
        Epochs = 1, BatchSize = 8, LearningRate = 1e-2, WarmupFraction = 0, Seed = 3,
    };

    private static IDataView Keyed(MLContext ml, IEnumerable<ToyRow> rows)
    {
        var raw = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
    }

    /// <summary>Interrupts a run on <paramref name="data"/> after one step, then fits <paramref name="changed"/> with the same checkpoint folder.</summary>
    private (bool Resumed, List<string> Log) Interrupt(IDataView data, Func<LoraTextClassificationOptions, LoraTextClassificationOptions> changed,
        IDataView? changedData = null)
    {
        var ml = new MLContext(seed: 1);
        var folder = Path.Combine(temp.Path, "ckpt-" + Guid.NewGuid().ToString("N"));
        using var cts = new CancellationTokenSource();
        var first = Options();
        first.CheckpointDirectory = folder;
        first.CancellationToken = cts.Token;
        first.Progress = new SyncProgress(p => { if (p.Step >= 1 && p.Phase == TrainingPhase.Training) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.Transforms.LoraFineTune(first).Fit(data));
        Assert.True(File.Exists(Path.Combine(folder, "checkpoint", "state.json")));

        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var second = changed(Options());
        second.CheckpointDirectory = folder;
        var model = ml.Transforms.LoraFineTune(second).Fit(changedData ?? data);
        return (model.TrainingHistory!.Resumed, log);
    }

    [Fact]
    public void TheSameRunResumes()
    {
        var data = Keyed(new MLContext(seed: 1), ToyData.Sentiment(2));
        Assert.True(Interrupt(data, o => o).Resumed);
    }

    [Fact]
    public void RelabelledDataStartsAfresh()
    {
        var ml = new MLContext(seed: 1);
        var rows = ToyData.Sentiment(2);
        var data = Keyed(ml, rows);
        // The same texts and label names, some rows with another label: the token ids and the class count are unchanged.
        var relabelled = Keyed(ml, rows.Select((r, i) => i % 3 == 1 ? new ToyRow { Sentence1 = r.Sentence1, Label = r.Label == "positive" ? "negative" : "positive" } : r));
        var (resumed, log) = Interrupt(data, o => o, relabelled);
        Assert.False(resumed);
        Assert.Contains(log, m => m.Contains("belongs to a different run"));
    }

    [Fact]
    public void SwappedLabelNamesStartAfresh()
    {
        var ml = new MLContext(seed: 1);
        var rows = ToyData.Sentiment(2);
        var data = Keyed(ml, rows);
        // positive <-> negative everywhere: every row keeps its key (keys follow first appearance), but key 1 now means "negative".
        var swapped = Keyed(ml, rows.Select(r => new ToyRow { Sentence1 = r.Sentence1, Label = r.Label switch { "positive" => "negative", "negative" => "positive", var l => l } }));
        Assert.False(Interrupt(data, o => o, swapped).Resumed);
    }

    [Fact]
    public void ChangedMaxGradNormStartsAfresh()
    {
        var data = Keyed(new MLContext(seed: 1), ToyData.Sentiment(2));
        Assert.False(Interrupt(data, o => { o.MaxGradNorm = 0.5; return o; }).Resumed);
    }

    [Fact]
    public void ChangedTrainPoolerStartsAfresh()
    {
        var data = Keyed(new MLContext(seed: 1), ToyData.Sentiment(2));
        Assert.False(Interrupt(data, o => { o.TrainPooler = true; return o; }).Resumed);
    }

    [Fact]
    public void ChangedValidationDataStartsAfresh()
    {
        var ml = new MLContext(seed: 1);
        var data = Keyed(ml, ToyData.Sentiment(2));
        Assert.False(Interrupt(data, o => { o.ValidationSet = Keyed(ml, ToyData.Sentiment(1)); return o; }).Resumed);
    }
}
