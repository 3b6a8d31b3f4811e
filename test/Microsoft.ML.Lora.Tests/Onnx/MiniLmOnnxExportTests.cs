using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Onnx;

/// <summary>
/// The real embedded MiniLM, LoRA on every linear layer, fine-tuned for one step on financial news sentiment, exported and
/// scored by ONNX Runtime on real sentences fed through FastBertTokenizer reading the exported <c>tokenizer.json</c> (a
/// consumer's .NET path): the ids equal the library's on all 2,388 validation headlines, the logits within 1e-4 on a sample.
/// (The bench's <c>onnx</c> command compares the logits on all 2,388.)
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

        var fastBert = new FastBertTokenizer.BertTokenizer();
        using (var json = File.OpenRead(Path.Combine(folder, "tokenizer.json"))) fastBert.LoadTokenizerJson(json);
        var differing = rows.Select(r => r.Text).Where(t =>
            !fastBert.Encode(t, scoring.MaxSequenceLength).InputIds.ToArray().SequenceEqual(scoring.Tokenizer.Encode(t, null, scoring.MaxSequenceLength).InputIds.Select(i => (long)i)))
            .ToList();
        Assert.True(differing.Count == 0, $"{differing.Count} of {rows.Count} headlines get other ids, e.g. '{differing.FirstOrDefault()}'");

        using var session = new InferenceSession(Path.Combine(folder, "model.onnx"), OrtRunner.Options());
        float max = 0;
        for (int r = 0; r < texts.Length; r++)
        {
            var (ids, mask, types) = fastBert.Encode(texts[r], scoring.MaxSequenceLength);
            var logits = OrtRunner.Run(session, ids.ToArray(), mask.ToArray(), types.ToArray(), 1, ids.Length);
            for (int c = 0; c < 3; c++) max = Math.Max(max, Math.Abs(logits[c] - expected[r][c]));
        }
        Assert.True(max <= 1e-4, $"max |Δlogit| {max} over {texts.Length} sentences");
        Assert.True(expected.Select(l => l.Max() - l.Min()).Average() > 1e-2, "the head's logits barely differ between classes: the test would not notice a wrong head");
    }
}
