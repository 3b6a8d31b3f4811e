using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Tests.Onnx;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace Microsoft.ML.Lora.Tests.SentenceSimilarity;

public class LoraSentenceSimilarityTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string baseFolder;

    public LoraSentenceSimilarityTests() => baseFolder = TinyHuggingFaceFolder.Create(temp);

    public void Dispose() => temp.Dispose();

    private LoraSentenceSimilarityOptions Options(int epochs = 20, bool? meanPooling = null) => new()
    {
        MeanPooling = meanPooling,
        BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder),
        Method = FineTuningMethod.Lora(new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 }),
        Epochs = epochs, BatchSize = 8, LearningRate = 1e-2, WarmupFraction = 0, Seed = 3,
    };

    private static float[] Scores(IDataView scored) => scored.GetColumn<float>("Score").ToArray();

    [Fact]
    public void TinyModelLearnsToyPairsAndRegressionEvaluateAcceptsTheOutput()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SimilarityToyData.Pairs());
        var model = ml.Transforms.LoraFineTune(Options()).Fit(data);
        var scored = model.Transform(data);

        Assert.Equal(NumberDataViewType.Single, scored.Schema["Score"].Type);
        var similarity = ml.Regression.EvaluateSimilarity(scored);
        var regression = ml.Regression.Evaluate(scored);
        var losses = string.Join(" ", model.TrainingHistory!.Epochs.Select(e => e.TrainLoss.ToString("F3", CultureInfo.InvariantCulture)));
        Assert.True(similarity.SpearmanCorrelation > 0.9, $"{similarity}; losses {losses}");
        Assert.True(similarity.PearsonCorrelation > 0.9, $"{similarity}; losses {losses}");
        Assert.True(regression.RSquared > 0.8, $"R² {regression.RSquared}; losses {losses}");
        Assert.Equal(48, similarity.RowCount);
        Assert.True(model.TrainingHistory.StepLosses[^1] < model.TrainingHistory.StepLosses[0] / 4, losses);
        Assert.Equal(0f, model.LabelMinimum);
        Assert.Equal(5f, model.LabelMaximum);
    }

    [Fact]
    public void ScoresAreOnTheLabelsScaleWhateverItIs()
    {
        // Training sees labels standardised by their mean and deviation, so labels 10 + 20·y train exactly as y does, and the
        // rescaled head outputs 10 + 20·score.
        var ml = new MLContext(seed: 1);
        var probe = ml.Data.LoadFromEnumerable(SimilarityToyData.Probe());
        var plain = ml.Transforms.LoraFineTune(Options(epochs: 3)).Fit(ml.Data.LoadFromEnumerable(SimilarityToyData.Pairs()));
        var scaled = ml.Transforms.LoraFineTune(Options(epochs: 3)).Fit(ml.Data.LoadFromEnumerable(SimilarityToyData.Pairs(scale: 20, offset: 10)));
        Assert.Equal(plain.TrainingHistory!.StepLosses, scaled.TrainingHistory!.StepLosses);
        var a = Scores(plain.Transform(probe));
        var b = Scores(scaled.Transform(probe));
        for (int i = 0; i < a.Length; i++) Assert.InRange(b[i] - (10 + 20 * a[i]), -1e-3, 1e-3);
        Assert.Equal(10f, scaled.LabelMinimum);
        Assert.Equal(110f, scaled.LabelMaximum);
        Assert.True(a.Distinct().Count() == a.Length, "scores differ per pair");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SavedZipLoadsInAFreshProcessAndScoresTheSame(bool meanPooling)
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.LoraFineTune(Options(epochs: 2, meanPooling)).Fit(ml.Data.LoadFromEnumerable(SimilarityToyData.Pairs()));
        var probeRows = SimilarityToyData.Probe();
        var probe = ml.Data.LoadFromEnumerable(probeRows);
        var expected = Scores(model.Transform(probe));
        var zip = Path.Combine(temp.Path, "similarity.zip");
        ml.Model.Save(model, probe.Schema, zip);

        var (code, values, output) = ChildProcess.LoadAndScore(zip, new[] { "Sentence1", "Sentence2" },
            probeRows.Select(r => new[] { r.Sentence1, r.Sentence2 }), "Score");
        Assert.True(code == 0, output);
        Assert.Equal("False", values["lora_loaded_before_load"]);
        var actual = values["Score"].Split(';').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.InRange(Math.Abs(expected[i] - actual[i]), 0, 1e-6);

        var loaded = Assert.IsType<LoraSentenceSimilarityTransformer>(new MLContext().Model.Load(zip, out _));
        Assert.Equal(model.LabelMinimum, loaded.LabelMinimum);
        Assert.Equal(model.LabelMaximum, loaded.LabelMaximum);
        var engine = new MLContext().Model.CreatePredictionEngine<PairInput, PairScore>(loaded);
        for (int i = 0; i < probeRows.Length; i++) Assert.InRange(Math.Abs(expected[i] - engine.Predict(probeRows[i]).Score), 0, 1e-6);
    }

    [Fact]
    public void PredictionEngineAndPredictAgreeWithBatchedTransform()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.LoraFineTune(Options(epochs: 2)).Fit(ml.Data.LoadFromEnumerable(SimilarityToyData.Pairs()));
        var rows = SimilarityToyData.Pairs().Select(r => new PairInput { Sentence1 = r.Sentence1, Sentence2 = r.Sentence2 })
            .Concat(SimilarityToyData.Probe()).ToArray();
        var expected = Scores(model.Transform(ml.Data.LoadFromEnumerable(rows)));
        var engine = ml.Model.CreatePredictionEngine<PairInput, PairScore>(model);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.InRange(Math.Abs(expected[i] - engine.Predict(rows[i]).Score), 0, 1e-5);
            Assert.InRange(Math.Abs(expected[i] - model.Predict(rows[i].Sentence1, rows[i].Sentence2)), 0, 1e-5);
        }
        // the pair is read in order: swapping the sentences is another input
        Assert.NotEqual(model.Predict("good news", "awful news"), model.Predict("awful news", "good news"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OnnxExportIsScoredByOnnxRuntimeAsTheTransformerScores(bool meanPooling)
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.LoraFineTune(Options(epochs: 2, meanPooling)).Fit(ml.Data.LoadFromEnumerable(SimilarityToyData.Pairs()));
        var folder = temp["onnx"];
        Directory.CreateDirectory(folder);
        model.ExportToOnnx(Path.Combine(folder, "model.onnx"));

        var scoring = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "scoring.json")))!;
        Assert.Equal("sentence-similarity", scoring["task"]!.GetValue<string>());
        Assert.Equal(5f, scoring["label_maximum"]!.GetValue<float>());
        Assert.Equal(meanPooling ? "mean" : "first-token", scoring["pooling"]!.GetValue<string>());
        var rows = SimilarityToyData.Probe();
        var expected = Scores(model.Transform(ml.Data.LoadFromEnumerable(rows)));
        // A user's path: the exported tokenizer on the pair, ONNX Runtime, the one output is the score.
        var batch = TextTokenizer.FromHuggingFaceFolder(folder).EncodeBatch(rows.Select(r => r.Sentence1).ToList(),
            rows.Select(r => r.Sentence2).ToList(), scoring["max_sequence_length"]!.GetValue<int>());
        using var session = new InferenceSession(Path.Combine(folder, "model.onnx"), OrtRunner.Options());
        var scores = OrtRunner.Run(session, batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, batch.BatchSize, batch.SequenceLength);
        Assert.Equal(rows.Length, scores.Length);
        for (int i = 0; i < rows.Length; i++) Assert.InRange(Math.Abs(scores[i] - expected[i]), 0, 1e-4);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PeftAdapterIsSeqClsWithOneOutputAndImportsToTheSameScores(bool meanPooling)
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.LoraFineTune(Options(epochs: 2, meanPooling)).Fit(ml.Data.LoadFromEnumerable(SimilarityToyData.Pairs()));
        var adapter = Path.Combine(temp.Path, "adapter");
        model.SaveAdapter(adapter);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")))!;
        Assert.Equal("SEQ_CLS", config["task_type"]!.GetValue<string>());
        var shapes = PeftAdapter.ReadShapes(adapter, PeftTaskType.SequenceClassification, "bert");
        Assert.Equal(new long[] { 1 }, shapes["classifier.bias"]);
        Assert.Equal(new long[] { 1, 64 }, shapes["classifier.weight"]);
        // A mean-pooled head trains no pooler, and says in head_pooling.json what it reads (PEFT's config cannot).
        Assert.Equal(meanPooling, File.Exists(Path.Combine(adapter, "head_pooling.json")));
        if (meanPooling) Assert.DoesNotContain(shapes.Keys, k => k.Contains("pooler"));

        var imported = Importer(ml).FromPeftAdapter(adapter);
        var probe = ml.Data.LoadFromEnumerable(SimilarityToyData.Probe());
        var a = Scores(model.Transform(probe));
        var b = Scores(imported.Transform(probe));
        for (int i = 0; i < a.Length; i++) Assert.InRange(Math.Abs(a[i] - b[i]), 0, 1e-6);
        Assert.Null(imported.LabelMinimum);

        // The merged Hugging Face folder reads back to the same scores, its pooling noted beside it as for the adapter.
        var merged = Path.Combine(temp.Path, "merged");
        model.SaveMergedModel(merged);
        Assert.Equal(meanPooling, File.Exists(Path.Combine(merged, "head_pooling.json")));
        var c = Scores(Importer(ml).FromHuggingFaceModel(merged).Transform(probe));
        for (int i = 0; i < a.Length; i++) Assert.InRange(Math.Abs(a[i] - c[i]), 0, 1e-5);
    }

    // The import entry point: an estimator on the tiny base, whose FromPeftAdapter / FromHuggingFaceModel build without training.
    private LoraSentenceSimilarityEstimator Importer(MLContext ml)
        => ml.Transforms.LoraFineTune(new LoraSentenceSimilarityOptions { BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder) });

    [Fact]
    public void AFirstTokenAdapterSavedOverAMeanPooledOneRemovesItsPoolingNote()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SimilarityToyData.Pairs());
        var adapter = Path.Combine(temp.Path, "reused-adapter");
        ml.Transforms.LoraFineTune(Options(epochs: 1, meanPooling: true)).Fit(data).SaveAdapter(adapter);
        Assert.True(File.Exists(Path.Combine(adapter, "head_pooling.json")));

        var firstToken = ml.Transforms.LoraFineTune(Options(epochs: 1, meanPooling: false)).Fit(data);
        firstToken.SaveAdapter(adapter);
        Assert.False(File.Exists(Path.Combine(adapter, "head_pooling.json")));
        var imported = Importer(ml).FromPeftAdapter(adapter);
        var probe = ml.Data.LoadFromEnumerable(SimilarityToyData.Probe());
        var a = Scores(firstToken.Transform(probe));
        var b = Scores(imported.Transform(probe));
        for (int i = 0; i < a.Length; i++) Assert.InRange(Math.Abs(a[i] - b[i]), 0, 1e-6);
    }

    [Fact]
    public void AClassifierAdapterIsRefusedNamingItsOutputs()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(TextClassification.ToyData.Sentiment(1));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var classifier = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder), Epochs = 1, BatchSize = 8, Seed = 3,
        }).Fit(keyed);
        var adapter = Path.Combine(temp.Path, "classifier-adapter");
        classifier.SaveAdapter(adapter);
        var e = Assert.Throws<InvalidDataException>(() => Importer(ml).FromPeftAdapter(adapter));
        Assert.Contains("3 outputs", e.Message);
        Assert.Contains("LoraTextClassificationOptions", e.Message);
    }

    [Fact]
    public void EstimatorSchemaEqualsTheTransformersSchema()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SimilarityToyData.Pairs());
        var estimator = ml.Transforms.LoraFineTune(Options(epochs: 1));
        var shape = estimator.GetOutputSchema(SchemaShapes.From(data.Schema));
        var model = estimator.Fit(data);
        var schema = model.GetOutputSchema(data.Schema);
        Assert.Equal(schema.Select(c => c.Name), model.Transform(data).Schema.Select(c => c.Name));
        var expected = SchemaShapes.From(schema);
        Assert.Equal(expected.Select(c => (c.Name, c.Kind, c.ItemType, c.IsKey)), shape.Select(c => (c.Name, c.Kind, c.ItemType, c.IsKey)));
        var score = shape.Single(c => c.Name == "Score");
        Assert.Equal(SchemaShape.Column.VectorKind.Scalar, score.Kind);
        Assert.Equal(NumberDataViewType.Single, score.ItemType);
    }

    [Fact]
    public void RegressionCatalogEntryTrainsTheSameEstimator()
    {
        var ml = new MLContext(seed: 1);
        var rows = SimilarityToyData.Pairs().Select(r => new { A = r.Sentence1, B = r.Sentence2, Similarity = r.Label }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var estimator = ml.Regression.Trainers.LoraSentenceSimilarity("Similarity", "A", "B", "Predicted", epochs: 1, lora: new LoraOptions { Rank = 2 });
        Assert.IsType<LoraSentenceSimilarityEstimator>(estimator);
        var options = new LoraSentenceSimilarityOptions();
        Assert.Equal(4, options.Epochs);
        Assert.Equal(128, options.MaxSequenceLength);

        // the tiny base keeps the test fast; the catalog's options are the defaults otherwise
        var model = ml.Transforms.LoraFineTune(new LoraSentenceSimilarityOptions
        {
            BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder), LabelColumnName = "Similarity", Sentence1ColumnName = "A",
            Sentence2ColumnName = "B", ScoreColumnName = "Predicted", Epochs = 1, BatchSize = 8, Seed = 3,
        }).Fit(data);
        var metrics = ml.Regression.EvaluateSimilarity(model.Transform(data), labelColumnName: "Similarity", scoreColumnName: "Predicted");
        Assert.Equal(48, metrics.RowCount);
        var shape = estimator.GetOutputSchema(SchemaShapes.From(data.Schema));
        Assert.Equal(NumberDataViewType.Single, shape.Single(c => c.Name == "Predicted").ItemType);
    }

    [Fact]
    public void ValidationReportsSpearmanPerEpoch()
    {
        var ml = new MLContext(seed: 1);
        var pairs = SimilarityToyData.Pairs();
        var options = Options(epochs: 3);
        options.ValidationSet = ml.Data.LoadFromEnumerable(pairs.Take(16));
        var model = ml.Transforms.LoraFineTune(options).Fit(ml.Data.LoadFromEnumerable(pairs));
        var last = model.TrainingHistory!.Epochs[^1];
        Assert.NotNull(last.ValidationMetric);
        // the metric is the Spearman of the validation pairs, which the transformer reproduces
        double spearman = ml.Regression.EvaluateSimilarity(model.Transform(options.ValidationSet)).SpearmanCorrelation;
        double best = model.TrainingHistory.Epochs[model.TrainingHistory.BestEpoch - 1].ValidationMetric!.Value;
        Assert.Equal(best, spearman, 4);
    }

    [Fact]
    public void EvaluateSimilarityComputesPearsonAndSpearman()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { (1f, 1f), (2f, 3f), (3f, 2f), (4f, 4f), (5f, 5f) }.Select(p => new { Label = p.Item1, Score = p.Item2 }));
        var m = ml.Regression.EvaluateSimilarity(data);
        Assert.Equal(0.9, m.SpearmanCorrelation, 10);   // d² = 2: 1 − 6·2 / (5·24)
        Assert.Equal(0.9, m.PearsonCorrelation, 10);
        Assert.Equal(5, m.RowCount);

        var nan = ml.Data.LoadFromEnumerable(new[] { new { Label = 1f, Score = 1f }, new { Label = float.NaN, Score = 2f }, new { Label = 3f, Score = 3f } });
        var e = Assert.Throws<InvalidDataException>(() => ml.Regression.EvaluateSimilarity(nan));
        Assert.Contains("Row 1", e.Message);
        Assert.Contains("'Label'", e.Message);
        var missing = Assert.ThrowsAny<ArgumentException>(() => ml.Regression.EvaluateSimilarity(data, scoreColumnName: "Similarity"));
        Assert.Contains("'Similarity'", missing.Message);
    }

    [Fact]
    public void BadInputGivesErrorsThatNameTheColumnOrRow()
    {
        var ml = new MLContext(seed: 1);
        var est = ml.Transforms.LoraFineTune(Options(epochs: 1));
        var good = SimilarityToyData.Pairs();

        PairRow[] With(int row, Action<PairRow> change)
        {
            var rows = SimilarityToyData.Pairs();
            change(rows[row]);
            return rows;
        }

        var emptySecond = Assert.Throws<InvalidDataException>(() => est.Fit(ml.Data.LoadFromEnumerable(With(5, r => r.Sentence2 = "  "))));
        Assert.Contains("Row 5", emptySecond.Message);
        Assert.Contains("'Sentence2'", emptySecond.Message);
        var emptyFirst = Assert.Throws<InvalidDataException>(() => est.Fit(ml.Data.LoadFromEnumerable(With(7, r => r.Sentence1 = ""))));
        Assert.Contains("Row 7", emptyFirst.Message);
        Assert.Contains("'Sentence1'", emptyFirst.Message);

        var nanLabel = Assert.Throws<InvalidDataException>(() => est.Fit(ml.Data.LoadFromEnumerable(With(3, r => r.Label = float.NaN))));
        Assert.Contains("Row 3", nanLabel.Message);
        Assert.Contains("'Label'", nanLabel.Message);

        var text = ml.Data.LoadFromEnumerable(good.Select(r => new { r.Sentence1, r.Sentence2, Label = r.Label.ToString(CultureInfo.InvariantCulture) }));
        var notNumeric = Assert.ThrowsAny<ArgumentException>(() => est.Fit(text));
        Assert.Contains("'Label'", notNumeric.Message);
        Assert.Contains("Single", notNumeric.Message);
        var schemaError = Assert.ThrowsAny<ArgumentException>(() => est.GetOutputSchema(SchemaShapes.From(text.Schema)));
        Assert.Contains("'Label'", schemaError.Message);

        var noLabel = ml.Data.LoadFromEnumerable(good.Select(r => new { r.Sentence1, r.Sentence2 }));
        Assert.Contains("'Label'", Assert.ThrowsAny<ArgumentException>(() => est.Fit(noLabel)).Message);

        var noSecond = ml.Data.LoadFromEnumerable(good.Select(r => new { r.Sentence1, r.Label }));
        var second = Assert.ThrowsAny<ArgumentException>(() => est.Fit(noSecond));
        Assert.Contains("'Sentence2'", second.Message);
        Assert.Contains("'Sentence2'", Assert.ThrowsAny<ArgumentException>(() => est.GetOutputSchema(SchemaShapes.From(noSecond.Schema))).Message);
        var model = est.Fit(ml.Data.LoadFromEnumerable(good));
        Assert.Contains("'Sentence2'", Assert.ThrowsAny<ArgumentException>(() => model.Transform(noSecond)).Message);

        var unset = Options();
        unset.Sentence2ColumnName = null!;
        Assert.Contains("Sentence2ColumnName", Assert.Throws<ArgumentException>(() => ml.Transforms.LoraFineTune(unset)).Message);

        var both = Options(meanPooling: true);
        both.TrainPooler = true;
        var contradiction = Assert.Throws<ArgumentException>(() => ml.Transforms.LoraFineTune(both));
        Assert.Contains("TrainPooler", contradiction.Message);
        Assert.Contains("MeanPooling", contradiction.Message);

        var constant = Assert.Throws<InvalidDataException>(() => est.Fit(ml.Data.LoadFromEnumerable(good.Select(r => new PairRow { Sentence1 = r.Sentence1, Sentence2 = r.Sentence2, Label = 2 }))));
        Assert.Contains("'Label'", constant.Message);
        Assert.Contains("different scores", constant.Message);

        Assert.Contains("no rows", Assert.Throws<InvalidOperationException>(() => est.Fit(ml.Data.LoadFromEnumerable(Array.Empty<PairRow>()))).Message);

        var badValidation = Options(epochs: 1);
        badValidation.ValidationSet = ml.Data.LoadFromEnumerable(With(2, r => r.Label = float.PositiveInfinity));
        var validationError = Assert.Throws<InvalidDataException>(() => ml.Transforms.LoraFineTune(badValidation).Fit(ml.Data.LoadFromEnumerable(good)));
        Assert.Contains("Row 2 of the validation data", validationError.Message);
    }
}
