using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Onnx;

/// <summary>
/// The real embedded MiniLM, LoRA on every linear layer, fine-tuned for one step on financial news sentiment, exported and
/// scored by ONNX Runtime on real sentences: the logits equal the library's within 1e-4. (The bench's <c>onnx</c> command
/// does the same on all 2,388 validation sentences.)
/// </summary>
public class MiniLmOnnxExportTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private sealed class Row
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    [Fact]
    public void ExportedMiniLmClassifierGivesTheLibrarysLogitsOnRealSentences()
    {
        var rows = TestData.ReadFinancialNewsValidation();
        var ml = new MLContext(seed: 1);
        var train = rows.GroupBy(r => r.Label).OrderBy(g => g.Key).SelectMany(g => g.Take(8)).ToList();   // every class, one step
        var raw = ml.Data.LoadFromEnumerable(train.Select(r => new Row { Text = r.Text, Label = r.Label.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var model = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            Sentence1ColumnName = "Text", Method = FineTuningMethod.Lora(new LoraOptions { TargetAllLinear = true }),
            Epochs = 1, BatchSize = 24, LearningRate = 2e-3, MaxSequenceLength = 128, Seed = 3,
        }).Fit(data);
        var folder = Directory.CreateDirectory(temp["minilm"]).FullName;
        model.ExportToOnnx(Path.Combine(folder, "model.onnx"));

        var texts = rows.Except(train).Take(64).Select(r => r.Text).ToArray();
        var scoring = model.ScoringModel;
        var expected = ExportTestModels.ClassifierLogits(scoring, texts);

        var tokenizer = TextTokenizer.FromHuggingFaceFolder(folder);
        using var session = new InferenceSession(Path.Combine(folder, "model.onnx"), OrtRunner.Options());
        float max = 0;
        for (int start = 0; start < texts.Length; start += 32)
        {
            var batch = tokenizer.EncodeBatch(texts[start..Math.Min(start + 32, texts.Length)], null, scoring.MaxSequenceLength);
            var logits = OrtRunner.Run(session, batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, batch.BatchSize, batch.SequenceLength);
            for (int r = 0; r < batch.BatchSize; r++)
                for (int c = 0; c < 3; c++) max = Math.Max(max, Math.Abs(logits[r * 3 + c] - expected[start + r][c]));
        }
        Assert.True(max <= 1e-4, $"max |Δlogit| {max} over {texts.Length} sentences");
        Assert.True(expected.Select(l => l.Max() - l.Min()).Average() > 1e-2, "the head's logits barely differ between classes: the test would not notice a wrong head");
    }
}
