using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Lora;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Pipeline;

/// <summary>
/// The README's "PEFT adapters, both ways" snippet, run as written on a tiny model (the region between the markers is
/// compared with the README): the adapter and the merged folder it writes import back through the estimator and score as
/// the fine-tuned classifier does.
/// </summary>
public class ReadmePeftSnippetTests : IDisposable
{
    private const string Begin = "// README PEFT: begin", End = "// README PEFT: end";
    private readonly TempWorkingDirectory cwd = new();   // the snippet writes relative paths

    public void Dispose() => cwd.Dispose();

    public sealed class Row
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    [Fact]
    public void SnippetRunsAndEveryImportScoresAsTheClassifier()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TextClassification.ToyData.Sentiment(repeat: 1).Select(r => new Row { Text = r.Sentence1, Label = r.Label }));
        var options = new LoraTextClassificationOptions
        {
            Sentence1ColumnName = "Text", LabelColumnName = "Label", Epochs = 2, LearningRate = 1e-2, WarmupFraction = 0,
            BaseModel = PretrainedModel.FromHuggingFaceFolder(TinyHuggingFaceFolder.Create(cwd.Folder)),
        };
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoraFineTune(options)).Fit(data);

        // README PEFT: begin
        // Train in .NET, use anywhere: the adapter in PEFT's format, or the whole model merged into a Hugging Face folder.
        var classifier = model.OfType<LoraTextClassificationTransformer>().Single();   // the fine-tuned step of a pipeline
        classifier.SaveAdapter("adapter");      // adapter_config.json, adapter_model.safetensors, config.json (id2label)
        classifier.SaveMergedModel("merged");   // config.json (BertForSequenceClassification), model.safetensors, tokenizer files

        // Trained here or in Python: the task's estimator builds the transformer from the files, on the options' base and columns.
        var estimator = ml.Transforms.LoraFineTune(options);         // options: the task's (base model, text columns, ...)
        var fromAdapter = estimator.FromPeftAdapter("adapter");      // label names from config.json, or FromPeftAdapter(folder, labelNames)
        var fromMerged = estimator.FromHuggingFaceModel("merged");   // the folder is the model (any *ForSequenceClassification folder)
        var another = estimator.FromPeftAdapter("adapter");          // a second adapter on the same base shares its weights
        // README PEFT: end

        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine("adapter", PeftAdapterConfig.FileName))))
            Assert.Equal("SEQ_CLS", config.RootElement.GetProperty("task_type").GetString());
        using (var merged = JsonDocument.Parse(File.ReadAllText(Path.Combine("merged", "config.json"))))
            Assert.Equal("BertForSequenceClassification", merged.RootElement.GetProperty("architectures")[0].GetString());
        Assert.Equal(classifier.LabelNames, fromAdapter.LabelNames);
        Assert.Equal(classifier.LabelNames, fromMerged.LabelNames);

        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var expected = Scores(classifier.Transform(keyed));
        foreach (var imported in new[] { fromAdapter, fromMerged, another })
        {
            var actual = Scores(imported.Transform(data));
            Assert.Equal(expected.Length, actual.Length);
            double max = expected.Zip(actual).SelectMany(p => p.First.Zip(p.Second, (x, y) => (double)Math.Abs(x - y))).Max();
            Assert.True(max <= 1e-5, $"imported scores differ from the classifier's by {max}");
        }
    }

    private static float[][] Scores(IDataView scored) => scored.GetColumn<float[]>("Score").ToArray();

    [Fact]
    public void ReadmeShowsTheSnippetThisTestRuns()
    {
        var (inTest, inReadme) = ReadmeSnippet.Read(Path.Combine("Pipeline", "ReadmePeftSnippetTests.cs"), Begin, End, "## PEFT adapters, both ways");
        Assert.Equal(inTest, inReadme);
    }
}
