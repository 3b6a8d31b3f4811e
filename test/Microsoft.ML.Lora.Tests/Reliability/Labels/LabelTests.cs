using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Labels;

/// <summary>Bad labels and columns for text classification: errors that name the column or the row, before any training.</summary>
public class LabelTests(TinyFolderFixture tiny) : IClassFixture<TinyFolderFixture>
{
    private readonly string baseFolder = tiny.BaseFolder;

    public sealed class Row
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
        public float Number { get; set; }
    }

    private static readonly Row[] Rows = Enumerable.Range(0, 12).Select(i => new Row { Text = $"the stock was {(i % 2 == 0 ? "good" : "bad")} today", Label = i % 2 == 0 ? "up" : "down", Number = i }).ToArray();

    private LoraTextClassificationOptions Options(IDataView? validation = null) => new()
    {
        BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder), Method = FineTuningMethod.Lora(new LoraOptions { Rank = 2 }),
        Epochs = 1, BatchSize = 8, Seed = 1, Sentence1ColumnName = "Text", LabelColumnName = "Label", ValidationSet = validation,
    };

    private static IDataView Keyed(MLContext ml, IEnumerable<Row> rows, IEnumerable<string>? keys = null)
    {
        var raw = ml.Data.LoadFromEnumerable(rows);
        var map = keys is null
            ? ml.Transforms.Conversion.MapValueToKey("Label")
            : ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(keys.Select(k => new { Label = k })));
        return map.Fit(raw).Transform(raw);
    }

    [Fact]
    public void TheReadmePipelineOnAnEmptyDataViewSaysNoRows()
    {
        var ml = new MLContext(seed: 1);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoraFineTune(Options()));
        var ex = Assert.Throws<InvalidOperationException>(() => pipeline.Fit(ml.Data.LoadFromEnumerable(Array.Empty<Row>())));
        Assert.Contains("training data has no rows", ex.Message);
        Assert.DoesNotContain("key values", ex.Message);
    }

    [Fact]
    public void AnEmptyValidationSetSaysNoRows()
    {
        var ml = new MLContext(seed: 1);
        var empty = Keyed(ml, Array.Empty<Row>(), new[] { "up", "down" });
        var ex = Assert.Throws<InvalidOperationException>(() => ml.Transforms.LoraFineTune(Options(empty)).Fit(Keyed(ml, Rows)));
        Assert.Contains("validation set has no rows", ex.Message);
    }

    public static TheoryData<string, string> BadColumns => new()
    {
        { "label column missing", "Label column 'Missing' not found" },
        { "label column is text", "expected a key type" },
        { "label column is a number", "expected a key type" },
        { "one class", "has 1 key values; expected between 2" },
        { "text column missing", "Sentence1 column 'Nope' not found" },
        { "text column is a number", "Sentence1 column 'Number' has type Single; expected String" },
        { "second text column missing", "Sentence2 column 'Other' not found" },
        { "row with a missing key", "Row 1 of the training data: label column 'Label' has a missing or out-of-range key (0)" },
        { "validation with other classes", "Validation label column 'Label' has 3 classes, the training data 2" },
    };

    [Theory]
    [MemberData(nameof(BadColumns))]
    public void ABadLabelOrTextColumnIsNamed(string what, string expected)
    {
        var ml = new MLContext(seed: 1);
        var options = Options();
        IDataView data = Keyed(ml, Rows);
        switch (what)
        {
            case "label column missing": options.LabelColumnName = "Missing"; break;
            case "label column is text": data = ml.Data.LoadFromEnumerable(Rows); break;
            case "label column is a number": options.LabelColumnName = "Number"; break;
            case "one class": data = Keyed(ml, Rows.Select(r => new Row { Text = r.Text, Label = "up" })); break;
            case "text column missing": options.Sentence1ColumnName = "Nope"; break;
            case "text column is a number": options.Sentence1ColumnName = "Number"; break;
            case "second text column missing": options.Sentence2ColumnName = "Other"; break;
            case "row with a missing key": data = Keyed(ml, Rows, keys: new[] { "up", "sideways" }); break;
            case "validation with other classes": options.ValidationSet = Keyed(ml, Rows, keys: new[] { "up", "down", "flat" }); break;
        }
        var ex = Assert.ThrowsAny<Exception>(() => ml.Transforms.LoraFineTune(options).Fit(data));
        Assert.True(ex is ArgumentException or InvalidDataException or InvalidOperationException, ex.ToString());
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void AClassWithoutTrainingRowsIsWarnedAbout()
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) warnings.Add(e.Message); };
        var model = ml.Transforms.LoraFineTune(Options()).Fit(Keyed(ml, Rows, keys: new[] { "up", "down", "flat" }));
        Assert.Equal(3, model.ClassCount);
        Assert.Contains(warnings, w => w.Contains("1 of 3 class(es) have no rows in the training data: 'flat' (key 3)", StringComparison.Ordinal));
    }
}
