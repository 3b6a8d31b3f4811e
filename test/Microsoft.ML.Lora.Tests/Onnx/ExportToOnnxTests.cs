using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Calibration;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Ner;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Tests.Ner;
using Microsoft.ML.Lora.Tests.TextClassification;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Onnx;

/// <summary><c>ExportToOnnx</c> on fitted transformers: the files, scoring that another runtime reproduces, and bad paths.</summary>
public class ExportToOnnxTests : IDisposable
{
    private static readonly string[] Probe = { "the stock was good today", "awful news", "   ", "market okay $ + up", "unbelievable profit at google" };
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private string ExportFolder(string name)
    {
        var folder = temp[name];
        Directory.CreateDirectory(folder);
        return folder;
    }

    [Fact]
    public void ClassifierExportIsScoredByOnnxRuntimeAsTheTransformerScores()
    {
        var (ml, _, model) = ExportTestModels.FitTinyClassifier(temp);
        // A temperature that is not 1, so that the exported scoring.json must carry it (Calibrate keeps 1 on so few rows).
        var calibrated = model.WithTemperature(1.7f);
        var folder = ExportFolder("export");
        calibrated.ExportToOnnx(Path.Combine(folder, "model.onnx"));

        Assert.Equal(new[] { "config.json", "model.onnx", "scoring.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt" },
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var scoring = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "scoring.json")))!;
        Assert.Equal("text-classification", scoring["task"]!.GetValue<string>());
        Assert.Equal("model.onnx", scoring["model_file"]!.GetValue<string>());
        Assert.Equal(new[] { "positive", "negative", "neutral" }, scoring["labels"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(calibrated.Temperature, scoring["temperature"]!.GetValue<float>());
        Assert.NotEqual(1f, calibrated.Temperature);
        Assert.Equal(calibrated.ScoringModel.MaxSequenceLength, scoring["max_sequence_length"]!.GetValue<int>());
        Assert.Equal(new[] { "input_ids", "attention_mask", "token_type_ids" }, scoring["inputs"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));
        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        Assert.Equal("BertForSequenceClassification", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal("negative", config["id2label"]!["1"]!.GetValue<string>());

        // A user's path: the exported tokenizer, a padded batch, ONNX Runtime, softmax(logits / temperature).
        var tokenizer = TextTokenizer.FromHuggingFaceFolder(folder);
        var batch = tokenizer.EncodeBatch(Probe, null, scoring["max_sequence_length"]!.GetValue<int>());
        using var session = new InferenceSession(Path.Combine(folder, "model.onnx"), OrtRunner.Options());
        var logits = OrtRunner.Run(session, batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, batch.BatchSize, batch.SequenceLength);

        var probe = ml.Data.LoadFromEnumerable(Probe.Select(p => new LoraTextClassificationTests.SentenceOnly { Sentence1 = p }));
        var scores = calibrated.Transform(probe).GetColumn<float[]>("Score").ToArray();
        var library = ExportTestModels.ClassifierLogits(calibrated.ScoringModel, Probe);
        for (int r = 0; r < Probe.Length; r++)
        {
            var row = logits.AsSpan(r * 3, 3);
            var probabilities = Softmax.Probabilities(row, calibrated.Temperature);
            for (int c = 0; c < 3; c++)
            {
                Assert.InRange(Math.Abs(row[c] - library[r][c]), 0, 1e-4);
                Assert.InRange(Math.Abs(probabilities[c] - scores[r][c]), 0, 1e-5);
            }
        }
    }

    [Fact]
    public void ExportedTokenizerFilesReadBackToTheSameIds()
    {
        var (_, _, model) = ExportTestModels.FitTinyClassifier(temp);
        var folder = ExportFolder("tokenizer");
        model.ExportToOnnx(Path.Combine(folder, "m.onnx"));
        var original = model.ScoringModel.Tokenizer;
        var fromTokenizerJson = TextTokenizer.FromHuggingFaceFolder(folder);
        var fromVocabTxt = TextTokenizer.FromVocabularyFile(Path.Combine(folder, "vocab.txt"), original.Options);
        File.Delete(Path.Combine(folder, "tokenizer.json"));
        var fromSlowFiles = TextTokenizer.FromHuggingFaceFolder(folder);   // vocab.txt + tokenizer_config.json + special_tokens_map.json
        foreach (var text in Probe.Append("Ünbelievable PROFIT, $5 + 中文"))
        {
            var expected = original.Encode(text, "the market", 16).InputIds;
            Assert.Equal(expected, fromTokenizerJson.Encode(text, "the market", 16).InputIds);
            Assert.Equal(expected, fromVocabTxt.Encode(text, "the market", 16).InputIds);
            Assert.Equal(expected, fromSlowFiles.Encode(text, "the market", 16).InputIds);
        }
        Assert.Equal(original.Options.LowerCase, fromTokenizerJson.Options.LowerCase);
        Assert.Equal(original.Options.ShouldStripAccents, fromSlowFiles.Options.ShouldStripAccents);
    }

    [Fact]
    public void NerExportGivesTheLibrarysLogitsOnEveryWordPiece()
    {
        var ml = new MLContext(seed: 1);
        var rows = NerToyData.Sentences(10);
        var ner = ml.Transforms.LoraFineTune(LoraNerTests.Options(TinyHuggingFaceFolder.Create(temp), epochs: 2)).Fit(ml.Data.LoadFromEnumerable(rows));
        var folder = ExportFolder("ner");
        ner.ExportToOnnx(Path.Combine(folder, "ner.onnx"));
        var scoring = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "scoring.json")))!;
        Assert.Equal("token-classification", scoring["task"]!.GetValue<string>());
        Assert.Equal(ner.Tags, scoring["labels"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(new[] { "batch", "sequence", "7" }, scoring["outputs"]![0]!["shape"]!.AsArray().Select(d => d!.ToString()));

        var model = ner.ScoringModel;
        var windows = rows.Select(r => r.Sentence.Split(' ')).Select(words =>
        {
            var pieces = model.Tokenizer.EncodeWords(words).TokenIds;
            return new[] { model.Tokenizer.ClsId }.Concat(pieces).Append(model.Tokenizer.SepId).ToArray();
        }).ToList();
        var library = BatchedLogits.Compute(model, windows, null, 32, perToken: true);
        int length = windows.Max(w => w.Length), labels = ner.Tags.Count;
        var ids = new long[windows.Count * length];
        var mask = new long[ids.Length];
        for (int r = 0; r < windows.Count; r++)
            for (int t = 0; t < windows[r].Length; t++) (ids[r * length + t], mask[r * length + t]) = (windows[r][t], 1);
        var onnx = OrtRunner.Run(
            Microsoft.ML.Lora.Onnx.OnnxModelBuilder.Build(model.Model, Microsoft.ML.Lora.Onnx.Heads.TokenClassificationOnnxHead.Instance, "test"),
            ids, mask, new long[ids.Length], windows.Count, length);
        float max = 0;
        for (int r = 0; r < windows.Count; r++)
            for (int i = 0; i < windows[r].Length * labels; i++) max = Math.Max(max, Math.Abs(library[r][i] - onnx[r * length * labels + i]));
        Assert.True(max <= 1e-4, $"max |Δlogit| {max}");
        using var fromFile = new InferenceSession(Path.Combine(folder, "ner.onnx"));
        Assert.Equal(new[] { "input_ids", "attention_mask", "token_type_ids" }, fromFile.InputMetadata.Keys);
    }

    [Fact]
    public void ExportIntoAMissingFolderIsAClearError()
    {
        var (_, _, model) = ExportTestModels.FitTinyClassifier(temp);
        var missing = Path.Combine(temp.Path, "no", "such");
        var e = Assert.Throws<DirectoryNotFoundException>(() => model.ExportToOnnx(Path.Combine(missing, "model.onnx")));
        Assert.Contains(missing, e.Message);
        Assert.False(Directory.Exists(missing));
        var folder = ExportFolder("is-a-folder");
        var f = Assert.Throws<ArgumentException>(() => model.ExportToOnnx(folder));
        Assert.Contains("model.onnx", f.Message);
    }

    [Fact]
    public void AFolderHoldingAnotherExportIsNotOverwritten()
    {
        var (_, _, model) = ExportTestModels.FitTinyClassifier(temp);
        var folder = ExportFolder("two");
        model.ExportToOnnx(Path.Combine(folder, "a.onnx"));
        var before = File.ReadAllBytes(Path.Combine(folder, "scoring.json"));
        var e = Assert.Throws<InvalidOperationException>(() => model.ExportToOnnx(Path.Combine(folder, "b.onnx")));
        Assert.Contains("'a.onnx'", e.Message);
        Assert.False(File.Exists(Path.Combine(folder, "b.onnx")));
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(folder, "scoring.json")));
        model.ExportToOnnx(Path.Combine(folder, "a.onnx"));   // the same export again replaces itself
        Assert.Equal(new[] { "a.onnx", "config.json", "scoring.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt" },
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));   // no temporary file left behind

        var foreign = ExportFolder("foreign");
        File.WriteAllText(Path.Combine(foreign, "config.json"), "{}");
        var f = Assert.Throws<InvalidOperationException>(() => model.ExportToOnnx(Path.Combine(foreign, "model.onnx")));
        Assert.Contains("config.json", f.Message);
        Assert.Equal("{}", File.ReadAllText(Path.Combine(foreign, "config.json")));
    }
}
