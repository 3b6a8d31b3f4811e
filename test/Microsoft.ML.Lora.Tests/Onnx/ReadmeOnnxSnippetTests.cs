using FastBertTokenizer;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Onnx;

/// <summary>The README's "ONNX export" snippet, run as written on a tiny model (the region between the markers is compared with the README).</summary>
public class ReadmeOnnxSnippetTests : IDisposable
{
    private const string Begin = "// README ONNX export: begin", End = "// README ONNX export: end";
    private readonly TempWorkingDirectory cwd = new();   // the snippet writes "export/" relative to it

    private TempFolder temp => cwd.Folder;

    public void Dispose() => cwd.Dispose();

    public sealed class Row
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    [Fact]
    public async Task SnippetRunsAndItsLogitsAreTheClassifiers()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TextClassification.ToyData.Sentiment(repeat: 1).Select(r => new Row { Text = r.Sentence1, Label = r.Label }));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
            {
                Sentence1ColumnName = "Text", LabelColumnName = "Label", Epochs = 1,
                BaseModel = PretrainedModel.FromHuggingFaceFolder(TinyHuggingFaceFolder.Create(cwd.Folder)),
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);

        // README ONNX export: begin
        var classifier = model.OfType<LoraTextClassificationTransformer>().Single();   // the fine-tuned step of the chain above
        Directory.CreateDirectory("export");
        classifier.ExportToOnnx("export/model.onnx");   // + scoring.json, tokenizer files and config.json beside it

        var tokenizer = new BertTokenizer();
        await tokenizer.LoadTokenizerJsonAsync("export/tokenizer.json");
        var (ids, mask, types) = tokenizer.Encode("Shares jumped after the earnings beat", maximumTokens: 128);
        int[] dims = { 1, ids.Length };
        using var session = new InferenceSession("export/model.onnx");
        using var results = session.Run(new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, dims)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, dims)),   // BERT models only
        });
        float[] logits = results.First().AsTensor<float>().ToArray();   // [batch, classes]; Score = softmax(logits / temperature)
        // README ONNX export: end

        var expected = ExportTestModels.ClassifierLogits(classifier.ScoringModel, new[] { "Shares jumped after the earnings beat" }, 128)[0];
        Assert.Equal(3, logits.Length);
        for (int c = 0; c < 3; c++) Assert.InRange(Math.Abs(logits[c] - expected[c]), 0, 1e-4);
    }

    [Fact]
    public void ReadmeShowsTheSnippetThisTestRuns()
    {
        var (inTest, inReadme) = ReadmeSnippet.Read(Path.Combine("Onnx", "ReadmeOnnxSnippetTests.cs"), Begin, End, "## ONNX export");
        Assert.Equal(inTest, inReadme);
    }
}
