using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Tests.Ner;
using Microsoft.ML.Lora.Tests.TextClassification;
using Microsoft.ML.Lora.TextClassification;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Pipeline;

/// <summary>
/// The one import entry point of every task face — the estimator's <c>FromPeftAdapter(folder)</c> and
/// <c>FromHuggingFaceModel(folder)</c>, with the options' base, columns and settings — and the merged export every
/// transformer has (<c>SaveMergedModel</c>): round trips score the same, names travel in config.json, bad input is refused
/// naming the file and what was expected, and models on one base share its weights.
/// </summary>
public class ImportExportTests(TrainedToyNer toy) : IClassFixture<TrainedToyNer>, IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static LoraTextClassificationOptions ClassifierOptions(string baseFolder, bool? trainPooler = null, FineTuningMethod? method = null) => new()
    {
        BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder),
        Method = method ?? FineTuningMethod.Lora(new LoraOptions { Rank = 4, Alpha = 8, TargetAllLinear = true }),
        Epochs = 2, BatchSize = 8, LearningRate = 1e-2, WarmupFraction = 0, Seed = 3, TrainPooler = trainPooler,
    };

    private static (MLContext Ml, IDataView Data) Sentiment()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(ToyData.Sentiment(1));
        return (ml, ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw));
    }

    private static float[][] Scores(IDataView scored) => scored.GetColumn<float[]>("Score").ToArray();

    private static void AssertSameScores(float[][] a, float[][] b, double tolerance)
    {
        Assert.Equal(a.Length, b.Length);
        double max = a.Zip(b).SelectMany(p => p.First.Zip(p.Second, (x, y) => (double)Math.Abs(x - y))).Max();
        Assert.True(max <= tolerance, $"scores differ by {max}");
    }

    private static uint[][] Keys(IDataView scored) => scored.GetColumn<VBuffer<uint>>("PredictedLabel").Select(v => v.DenseValues().ToArray()).ToArray();

    [Theory]
    [InlineData(Architecture.Bert, "BertForSequenceClassification", 3)]
    [InlineData(Architecture.DistilBert, "DistilBertForSequenceClassification", 2)]   // no token_type_ids
    public void AMergedClassifierIsAHuggingFaceFolderThatScoresTheSame(Architecture arch, string architecture, int modelInputs)
    {
        var (ml, data) = Sentiment();
        var baseFolder = TinyHuggingFaceFolder.Create(temp, arch.ToEncoder());
        var estimator = ml.Transforms.LoraFineTune(ClassifierOptions(baseFolder));
        var model = estimator.Fit(data);
        var merged = temp["merged-" + arch];
        model.SaveMergedModel(merged);

        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(merged, "config.json")));
        Assert.Equal(architecture, config.RootElement.GetProperty("architectures")[0].GetString());
        Assert.Equal("negative", config.RootElement.GetProperty("id2label").GetProperty("1").GetString());
        using var tokenizerConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(merged, "tokenizer_config.json")));
        Assert.Equal("BertTokenizer", tokenizerConfig.RootElement.GetProperty("tokenizer_class").GetString());
        Assert.Equal(modelInputs, tokenizerConfig.RootElement.GetProperty("model_input_names").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(merged, "vocab.txt")));
        Assert.True(File.Exists(Path.Combine(merged, "tokenizer.json")));
        var keys = SafetensorsHeader.Read(Path.Combine(merged, "model.safetensors")).Tensors;
        Assert.DoesNotContain(keys.Keys, k => k.Contains("lora_", StringComparison.Ordinal));   // folded in: the plain architecture
        Assert.Contains("classifier.weight", keys.Keys);
        Assert.Contains(config.RootElement.GetProperty("model_type").GetString() == "bert" ? "bert.pooler.dense.weight" : "pre_classifier.weight", keys.Keys);
        Assert.All(keys.Values, e => Assert.Equal("F32", e.DType));

        // Read back (the folder is the base), names from id2label; scores as the fine-tuned model's.
        var back = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions()).FromHuggingFaceModel(merged);
        Assert.Equal(model.LabelNames, back.LabelNames);
        AssertSameScores(Scores(model.Transform(data)), Scores(back.Transform(data)), 1e-5);
        Assert.Equal(FineTuningMethod.HeadOnly.Name, back.Method.Name);
        Assert.Contains("only LoRA models", Assert.Throws<InvalidOperationException>(() => back.SaveAdapter(temp["no-adapter"])).Message);
    }

    [Fact]
    public void AClassifierAdapterImportsWithTheOptionsColumnsAndNamesFromItsConfig()
    {
        var (ml, data) = Sentiment();
        var baseFolder = TinyHuggingFaceFolder.Create(temp);
        var model = ml.Transforms.LoraFineTune(ClassifierOptions(baseFolder)).Fit(data);
        var adapter = temp["adapter"];
        model.SaveAdapter(adapter);
        // Issue 14: the import reads the options' text column, not a fixed "Sentence1".
        var texts = ml.Data.LoadFromEnumerable(ToyData.Sentiment(1).Select(r => new TextRow { Text = r.Sentence1 }));
        var imported = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions { BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder), Sentence1ColumnName = "Text" })
            .FromPeftAdapter(adapter);
        Assert.Equal(model.LabelNames, imported.LabelNames);
        AssertSameScores(Scores(model.Transform(data)), Scores(imported.Transform(texts)), 1e-5);

        File.Delete(Path.Combine(adapter, "config.json"));   // an adapter from Python without one: no names, still scores
        Assert.Null(ml.Transforms.LoraFineTune(ClassifierOptions(baseFolder)).FromPeftAdapter(adapter).LabelNames);
        File.WriteAllText(Path.Combine(adapter, "config.json"), "{\"id2label\": {\"0\": \"a\", \"2\": \"c\"}}");
        var ex = Assert.Throws<InvalidDataException>(() => ml.Transforms.LoraFineTune(ClassifierOptions(baseFolder)).FromPeftAdapter(adapter));
        Assert.Contains(Path.Combine(adapter, "config.json"), ex.Message);
        Assert.Contains("id2label", ex.Message);
    }

    [Fact]
    public void ATaggerAdapterAndMergedFolderImportThroughTheNerFace()
    {
        var adapter = toy.Temp["ner-adapter"];
        toy.Model.SaveAdapter(adapter);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "config.json"))))
        {
            Assert.Equal("BertForTokenClassification", config.RootElement.GetProperty("architectures")[0].GetString());
            Assert.Equal(toy.Model.Tags, config.RootElement.GetProperty("id2label").EnumerateObject().Select(p => p.Value.GetString()));
        }
        Assert.Contains("\"task_type\": \"TOKEN_CLS\"", File.ReadAllText(Path.Combine(adapter, "adapter_config.json")));
        var estimator = toy.Ml.Transforms.LoraFineTune(LoraNerTests.Options(toy.BaseFolder, epochs: 1));
        var expected = Keys(toy.Model.Transform(toy.Data));
        var imported = estimator.FromPeftAdapter(adapter);
        Assert.Equal(toy.Model.Tags, imported.Tags);
        Assert.Equal(toy.Model.WindowOverlap, imported.WindowOverlap);
        Assert.Equal(expected, Keys(imported.Transform(toy.Data)));
        // The same spans; confidences agree to float rounding (the import scores with LoRA unmerged on the shared base).
        var spans = toy.Model.PredictEntities("john smith visited paris");
        var importedSpans = imported.PredictEntities("john smith visited paris");
        Assert.Equal(spans.Select(e => e with { Confidence = 0 }), importedSpans.Select(e => e with { Confidence = 0 }));
        Assert.All(spans.Zip(importedSpans), p => Assert.InRange(Math.Abs(p.First.Confidence - p.Second.Confidence), 0, 1e-5));

        var merged = toy.Temp["ner-merged"];
        toy.Model.SaveMergedModel(merged);
        var back = estimator.FromHuggingFaceModel(merged);
        Assert.Equal(expected, Keys(back.Transform(toy.Data)));

        // Tags: given ones must fit the head; without config.json they must be given.
        Assert.Contains("7 tags", Assert.Throws<ArgumentException>(() => estimator.FromPeftAdapter(adapter, new[] { "O", "B-PER", "I-PER" })).Message);
        File.Delete(Path.Combine(adapter, "config.json"));
        var missing = Assert.Throws<InvalidDataException>(() => estimator.FromPeftAdapter(adapter));
        Assert.Contains("id2label", missing.Message);
        Assert.Contains(Path.Combine(adapter, "config.json"), missing.Message);
        Assert.Equal(expected, Keys(estimator.FromPeftAdapter(adapter, toy.Model.Tags).Transform(toy.Data)));

        // A token-classification adapter is no text classifier.
        var wrongTask = Assert.Throws<InvalidDataException>(() => toy.Ml.Transforms.LoraFineTune(ClassifierOptions(toy.BaseFolder)).FromPeftAdapter(adapter));
        Assert.Contains("task_type is 'TOKEN_CLS', expected 'SEQ_CLS'", wrongTask.Message);
        Assert.Contains(Path.Combine(adapter, "adapter_config.json"), wrongTask.Message);
    }

    [Fact]
    public void FoldersOfAnotherKindAndUnmergeableMethodsAreRefused()
    {
        var (ml, data) = Sentiment();
        var baseFolder = TinyHuggingFaceFolder.Create(temp);
        var ex = Assert.Throws<InvalidDataException>(() => ml.Transforms.LoraFineTune(ClassifierOptions(baseFolder)).FromHuggingFaceModel(baseFolder));
        Assert.Contains("\"architectures\" is [BertModel]; expected BertForSequenceClassification", ex.Message);
        Assert.Contains(Path.Combine(baseFolder, "config.json"), ex.Message);
        var adapters = ml.Transforms.LoraFineTune(ClassifierOptions(baseFolder, method: FineTuningMethod.Adapters(4))).Fit(data);
        Assert.Contains("cannot be saved as a Hugging Face model", Assert.Throws<InvalidOperationException>(() => adapters.SaveMergedModel(temp["m"])).Message);
        Assert.Throws<DirectoryNotFoundException>(() => ml.Transforms.LoraFineTune(ClassifierOptions(baseFolder)).FromPeftAdapter(temp["nowhere"]));
    }

    [Fact]
    public void ModelsOnOneBaseShareItAndWhatOneTrainsStaysItsOwn()
    {
        var (ml, data) = Sentiment();
        var baseFolder = TinyHuggingFaceFolder.Create(temp);
        // One adapter trains BERT's pooler (saved in modules_to_save), the other keeps the base's: loading the first must not
        // write its pooler into the weights the second shares.
        var withPooler = ml.Transforms.LoraFineTune(ClassifierOptions(baseFolder, trainPooler: true)).Fit(data);
        var frozenPooler = ml.Transforms.LoraFineTune(ClassifierOptions(baseFolder, trainPooler: false)).Fit(data);
        withPooler.SaveAdapter(temp["a"]);
        frozenPooler.SaveAdapter(temp["b"]);
        var options = ClassifierOptions(baseFolder);
        var a = PeftImport.Load(ml, options, TextClassificationTask.ForImport(options, null), temp["a"], "test");
        var b = PeftImport.Load(ml, options, TextClassificationTask.ForImport(options, null), temp["b"], "test");
        Assert.Same(a.SharedBase!.Weights, b.SharedBase!.Weights);
        var basePooler = TorchSharp.PyBridge.Safetensors.LoadStateDict(Path.Combine(baseFolder, "model.safetensors"))["pooler.dense.weight"];
        Assert.True(TensorAssert.Identical(basePooler, b.Model.state_dict()["bert.pooler.dense.weight"]));
        Assert.False(TensorAssert.Identical(basePooler, a.Model.state_dict()["bert.pooler.dense.weight"]));
        var (ids, mask) = TinyModels.Batch(a.Model.Encoder.Config);
        using (no_grad())
        {
            // Unmerged on the shared base, and as each fine-tuned model (merged, its own weights) scores.
            AssertSameScores(Rows(a.Model.forward(ids, mask)), Rows(Fitted(withPooler).forward(ids, mask)), 1e-5);
            AssertSameScores(Rows(b.Model.forward(ids, mask)), Rows(Fitted(frozenPooler).forward(ids, mask)), 1e-5);
        }
    }

    [Fact]
    public void ZipsOnTheEmbeddedBaseShareItsWeights()
    {
        var zip = Path.Combine(AppContext.BaseDirectory, "TestAssets", "FormatV1", "textcls-minilm.zip");
        var ml = new MLContext(1);
        var first = (FineTunedTransformer)ml.Model.Load(zip, out _);
        var second = (FineTunedTransformer)ml.Model.Load(zip, out _);
        Assert.Same(SharedBase(first).Weights, SharedBase(second).Weights);
        Assert.True(SharedBase(first).Weights.Bytes > 80_000_000);   // the 22.7M-parameter encoder, once
    }

    private static SharedEncoderWeights.Lease SharedBase(FineTunedTransformer t)
        => ((FineTunedModel)typeof(FineTunedTransformer).GetProperty("Model", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(t)!).SharedBase!;

    private static TaskModel Fitted(FineTunedTransformer t)
        => ((FineTunedModel)typeof(FineTunedTransformer).GetProperty("Model", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(t)!).Model;

    private static float[][] Rows(Tensor logits) => Enumerable.Range(0, (int)logits.shape[0]).Select(i => logits[i].data<float>().ToArray()).ToArray();

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }
}
