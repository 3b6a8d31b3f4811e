using Microsoft.ML.Lora.Tests.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Concurrency;

/// <summary>The README's "Many threads, reloads and memory" snippet, run as written on a tiny model (the region between the markers is compared with the README).</summary>
public class ReadmeServingSnippetTests : IDisposable
{
    private const string Section = "## Many threads, reloads and memory";
    private const string Begin = "// README serving: begin", End = "// README serving: end";
    private readonly TempWorkingDirectory cwd = new();   // the snippet reads "model.zip" relative to it

    private TempFolder temp => cwd.Folder;

    public void Dispose() => cwd.Dispose();

    public sealed class Input
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";   // read by the chain's MapValueToKey; empty when predicting
    }

    public sealed class Prediction
    {
        public string PredictedText { get; set; } = "";
    }

    [Fact]
    public void SnippetRunsAndDisposesTheModelItReplaces()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(ToyData.Sentiment(repeat: 1).Select(r => new { Text = r.Sentence1, r.Label }));
        using (var trained = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
            {
                Sentence1ColumnName = "Text", LabelColumnName = "Label", Epochs = 1,
                BaseModel = PretrainedModel.FromHuggingFaceFolder(TinyHuggingFaceFolder.Create(temp)),
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel"))
            .Fit(raw))
            ml.Model.SaveAtomically(trained, raw.Schema, "model.zip");

        // README serving: begin
        ITransformer model = ml.Model.Load("model.zip", out _);
        var predictor = ml.Model.CreateConcurrentPredictor<Input, Prediction>(model);   // one for all threads
        Parallel.For(0, 8, i => Console.WriteLine(predictor.Predict(new Input { Text = $"Shares jumped {i}%" }).PredictedText));

        // A new model.zip (a file watcher, an A/B swap): load it, switch, then dispose the old model to free its memory now.
        var previous = model;
        model = ml.Model.Load("model.zip", out _);
        predictor = ml.Model.CreateConcurrentPredictor<Input, Prediction>(model);
        (previous as IDisposable)?.Dispose();   // waits for its calls in flight; later calls on it throw ObjectDisposedException
        // README serving: end

        Assert.Contains(predictor.Predict(new Input { Text = "bad news" }).PredictedText, new[] { "positive", "negative", "neutral" });
        Assert.Throws<ObjectDisposedException>(() => ml.Model.CreateConcurrentPredictor<Input, Prediction>(previous).Predict(new Input { Text = "bad news" }));
        (model as IDisposable)?.Dispose();
    }

    [Fact]
    public void ReadmeShowsTheSnippetThisTestRuns()
    {
        var (inTest, inReadme) = ReadmeSnippet.Read(Path.Combine("Reliability", "Concurrency", "ReadmeServingSnippetTests.cs"), Begin, End, Section);
        Assert.Equal(inTest, inReadme);
    }
}
