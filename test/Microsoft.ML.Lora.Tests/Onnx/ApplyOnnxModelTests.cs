using Microsoft.ML.Data;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Transforms;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Onnx;

/// <summary>
/// An exported classifier scored in a plain ML.NET pipeline: text → token ids (FastBertTokenizer on the exported
/// <c>tokenizer.json</c>, in a CustomMapping) → <c>ApplyOnnxModel</c> → logits. ML.NET's ONNX transformer takes fixed-size vector columns only, so each row is padded
/// to a fixed length; the attention mask hides the padding from the model.
/// </summary>
public class ApplyOnnxModelTests : IDisposable
{
    private const int Length = 32;
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    public sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    /// <summary>The exported model's inputs as ML.NET columns: int64 vectors of a fixed length.</summary>
    public sealed class TokenRow
    {
        [VectorType(Length)] public long[] input_ids { get; set; } = new long[Length];
        [VectorType(Length)] public long[] attention_mask { get; set; } = new long[Length];
        [VectorType(Length)] public long[] token_type_ids { get; set; } = new long[Length];
    }

    public sealed class LogitsRow
    {
        public float[] logits { get; set; } = Array.Empty<float>();
    }

    [Fact]
    public void ApplyOnnxModelScoresTokenIdsFromTheLibrarysTokenizerAsTheTransformer()
    {
        var (ml, _, model) = ExportTestModels.FitTinyClassifier(temp);
        var folder = Directory.CreateDirectory(temp["export"]).FullName;
        model.ExportToOnnx(Path.Combine(folder, "model.onnx"));

        var tokenizer = new FastBertTokenizer.BertTokenizer();
        using (var json = File.OpenRead(Path.Combine(folder, "tokenizer.json"))) tokenizer.LoadTokenizerJson(json);
        var pipeline = ml.Transforms.CustomMapping((TextRow row, TokenRow tokens) =>
            {
                // Every row padded to Length: ML.NET's ONNX transformer takes fixed-size vectors only.
                var (ids, mask, types) = tokenizer.Encode(row.Text, Length, padTo: Length);
                ids.Span.CopyTo(tokens.input_ids);
                mask.Span.CopyTo(tokens.attention_mask);
                types.Span.CopyTo(tokens.token_type_ids);
            }, contractName: null)
            .Append(ml.Transforms.ApplyOnnxModel(new[] { "logits" }, new[] { "input_ids", "attention_mask", "token_type_ids" }, Path.Combine(folder, "model.onnx"),
                shapeDictionary: new Dictionary<string, int[]>
                {
                    ["input_ids"] = new[] { 1, Length }, ["attention_mask"] = new[] { 1, Length }, ["token_type_ids"] = new[] { 1, Length },
                }, gpuDeviceId: null, fallbackToCpu: false));
        var texts = new[] { "the stock was good today", "awful news", "market okay $ + up", "", "profit at google was up" };
        var input = ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }));
        var onnx = pipeline.Fit(input).Transform(input);
        var logits = ml.Data.CreateEnumerable<LogitsRow>(onnx, reuseRowObject: false).Select(r => r.logits).ToArray();

        var expected = ExportTestModels.ClassifierLogits(model.ScoringModel, texts, Length);
        Assert.Equal(texts.Length, logits.Length);
        for (int r = 0; r < texts.Length; r++)
        {
            Assert.Equal(3, logits[r].Length);
            for (int c = 0; c < 3; c++) Assert.InRange(Math.Abs(logits[r][c] - expected[r][c]), 0, 1e-4);
        }
    }
}
