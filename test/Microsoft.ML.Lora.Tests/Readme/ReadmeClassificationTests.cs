using System.Globalization;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Tests.Onnx;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Readme;

/// <summary>What the README's classification program promises, checked on one run of it (<see cref="ClassificationProgram"/>).</summary>
public class ReadmeClassificationTests(ClassificationProgram program) : IClassFixture<ClassificationProgram>
{
    private const string Headline = "Shares jumped after the earnings beat";

    [Fact]
    public void MultilineCsvIsReadRowForRow_WhereQuotingAloneSplitsRows()
    {
        Assert.Equal(program.Rows.Select(r => r.Text), program.Run.Get<string[]>("texts"));
        Assert.Contains(program.Run.Get<string[]>("texts"), t => t.Contains('\n'));
        Assert.NotEqual(program.Rows.Count, program.Run.Get<string[]>("quotingOnly").Length);
    }

    [Fact]
    public void ConcurrentPredictorOnTheReloadedZipPredictsAsTheEngine_AndTheReplacedModelIsDisposed()
    {
        // "Many threads, reloads and memory": the shared predictor on the reloaded zip gives the engine's class, and the model
        // it replaced refuses use once disposed.
        Assert.Equal(program.Run.Get<string>("label"), program.Run.Get<string>("concurrentLabel"));
        Assert.Equal(nameof(ObjectDisposedException), program.Run.Get<string>("afterDispose"));
        var lines = program.Run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Skip(2).Take(8).Count(l => ReadmeWorld.SentimentClasses.Contains(l.Trim())));   // Parallel.For's eight predictions
    }

    [Fact]
    public void SavedModelReadsOnlyTheTextAndMapsPredictedLabelBackToTheClassName()
    {
        var lines = program.Run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(double.Parse(lines[0], CultureInfo.CurrentCulture), 0, 1);   // Evaluate's accuracy, as the program printed it
        string label = program.Run.Get<string>("label");
        Assert.Contains(label, ReadmeWorld.SentimentClasses);
        Assert.StartsWith(label + " ", lines[1]);

        var ml = new MLContext();
        var loaded = ml.Model.Load(program["model.zip"], out var inputSchema);
        Assert.Equal(["Text"], inputSchema.Select(c => c.Name));
        // The zip's prediction is the fitted model's, and Score is a distribution over the three classes.
        float[] score = program.Run.Get<float[]>("score");
        Assert.Equal(3, score.Length);
        Assert.Equal(1.0, score.Sum(), 4);
        var fitted = program.Run.Get<ITransformer>("model").Transform(ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = Headline } }));
        Assert.Equal(label, fitted.GetColumn<string>("PredictedLabel").Single());
        var expected = fitted.GetColumn<float[]>("Score").Single();
        for (int c = 0; c < 3; c++) Assert.Equal(expected[c], score[c], 5);
        Assert.Equal(ReadmeWorld.SentimentClasses, SlotNames(loaded.GetOutputSchema(inputSchema)["Score"]));
    }

    [Fact]
    public void OwnCheckpointIsTheFolderWithTheLoraOptionsOfTheSnippet()
    {
        var finbert = program.Run.Get<LoraTextClassificationTransformer>("finbert");
        Assert.Contains("finbert", finbert.BaseModelName);
        var lora = Assert.IsType<LoraMethod>(finbert.Method).Options;
        Assert.Equal((16, 32.0), (lora.Rank, (double)lora.Alpha));
        Assert.Equal(["query", "key", "value"], lora.TargetModules);
    }

    [Fact]
    public void PeftAdapterAndMergedFolderImportToTheClassifiersScores()
    {
        // "PEFT adapters, both ways": what the program wrote is PEFT's and transformers' format, and every import scores as
        // the fine-tuned step it came from.
        using (var config = JsonDocument.Parse(File.ReadAllText(program["adapter/adapter_config.json"])))
            Assert.Equal("SEQ_CLS", config.RootElement.GetProperty("task_type").GetString());
        using (var merged = JsonDocument.Parse(File.ReadAllText(program["merged/config.json"])))
            Assert.Equal("BertForSequenceClassification", merged.RootElement.GetProperty("architectures")[0].GetString());
        var classifier = program.Run.Get<LoraTextClassificationTransformer>("classifier");
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = Headline }, new TextRow { Text = "Profit warning sends the shares lower" } });
        var expected = classifier.Transform(data).GetColumn<float[]>("Score").ToArray();
        foreach (var name in new[] { "fromAdapter", "fromMerged", "another" })
        {
            var imported = program.Run.Get<LoraTextClassificationTransformer>(name);
            Assert.Equal(classifier.LabelNames, imported.LabelNames);
            var actual = imported.Transform(data).GetColumn<float[]>("Score").ToArray();
            double max = expected.Zip(actual).SelectMany(p => p.First.Zip(p.Second, (x, y) => (double)Math.Abs(x - y))).Max();
            Assert.True(max <= 1e-5, $"{name}: scores differ from the classifier's by {max}");
        }
    }

    [Fact]
    public void OnnxLogitsAreTheClassifiers()
    {
        float[] logits = program.Run.Get<float[]>("logits");
        var classifier = program.Run.Get<LoraTextClassificationTransformer>("classifier");
        var expected = ExportTestModels.ClassifierLogits(classifier.ScoringModel, [Headline], 128)[0];
        Assert.Equal(3, logits.Length);
        for (int c = 0; c < 3; c++) Assert.InRange(Math.Abs(logits[c] - expected[c]), 0, 1e-4);
    }

    private static string[] SlotNames(DataViewSchema.Column column)
    {
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        column.GetSlotNames(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }
}
