using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.SentenceEmbedding;
using Microsoft.ML.Lora.Statistics;
using Microsoft.ML.Lora.Tests.Onnx;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.SentenceEmbedding;

public class LoraSentenceEmbeddingTests : IDisposable
{
    private const int Hidden = 64;   // TinyHuggingFaceFolder's default
    private readonly TempFolder temp = new();
    private readonly string baseFolder;

    public LoraSentenceEmbeddingTests() => baseFolder = TinyHuggingFaceFolder.Create(temp);

    public void Dispose() => temp.Dispose();

    private PretrainedModel Base => PretrainedModel.FromHuggingFaceFolder(baseFolder);

    private LoraSentenceEmbeddingOptions Options(int epochs = 10, SentenceEmbeddingLoss loss = SentenceEmbeddingLoss.CosineSimilarity) => new()
    {
        BaseModel = Base,
        Method = FineTuningMethod.Lora(new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 }),
        Epochs = epochs, BatchSize = 8, LearningRate = 1e-2, WarmupFraction = 0, Seed = 3, Loss = loss,
    };

    internal static float[][] Embed(MLContext ml, ITransformer model, IEnumerable<string> sentences)
        => model.Transform(ml.Data.LoadFromEnumerable(sentences.Select(s => new SentenceRow { Sentence1 = s }))).GetColumn<float[]>("Embedding").ToArray();

    /// <summary>Spearman's rank correlation of the pairs' cosines with their scores.</summary>
    private static double Spearman(MLContext ml, ITransformer model, PairRow[] rows)
    {
        var e = Embed(ml, model, PairData.Sentences(rows));
        var cosines = rows.Select((_, i) => (double)Dot(e[i], e[rows.Length + i])).ToArray();
        return Correlation.Spearman(cosines, rows.Select(r => (double)r.Score).ToArray());
    }

    private static float Dot(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();

    [Fact]
    public void MeanPoolingAveragesTheRealTokensOnlyAndGivesUnitVectors()
    {
        manual_seed(1);
        var config = TinyModels.Config(EncoderArchitecture.Bert, hidden: 16);
        using var model = new SentenceEmbeddingModel(EncoderModel.Create(config));
        model.eval();
        using var _ = no_grad();
        var (ids, mask) = TinyModels.Batch(config, batch: 3, length: 7, pad: 3);
        var batched = model.forward(ids, mask);
        Assert.Equal(new long[] { 3, 16 }, batched.shape);

        // Row 0 has 4 real tokens: alone and unpadded it gets the same vector, which is the normalised mean of its states.
        var ids0 = ids.narrow(0, 0, 1).narrow(1, 0, 4);
        var mask0 = mask.narrow(0, 0, 1).narrow(1, 0, 4);
        var alone = model.forward(ids0, mask0);
        Assert.InRange(TensorAssert.MaxAbsDiff(batched.narrow(0, 0, 1), alone), 0, 1e-5f);
        var mean = model.Encoder.Encode(ids0, mask0).mean(new long[] { 1 });
        Assert.InRange(TensorAssert.MaxAbsDiff(alone, mean / mean.norm()), 0, 1e-5f);

        // What the padded positions hold does not matter.
        var otherPadding = ids.clone();
        otherPadding[0, TensorIndex.Slice(4)] = 7;
        Assert.InRange(TensorAssert.MaxAbsDiff(batched, model.forward(otherPadding, mask)), 0, 1e-6f);
        foreach (var norm in batched.norm(1).data<float>().ToArray()) Assert.Equal(1f, norm, 5);
        Assert.Empty(model.HeadModules);
    }

    [Fact]
    public void CosineLossTrainingLowersTheLossAndOrdersPairsByScore()
    {
        var ml = new MLContext(seed: 1);
        var rows = PairData.Pairs();
        var data = ml.Data.LoadFromEnumerable(rows);
        double before = Spearman(ml, LoraSentenceEmbeddingTransformer.FromPretrained(ml, Base), rows);

        var model = ml.Transforms.LoraFineTune(Options()).Fit(data);
        var epochs = model.TrainingHistory!.Epochs;
        Assert.True(epochs[^1].TrainLoss < epochs[0].TrainLoss / 2, $"train loss {epochs[0].TrainLoss:F4} → {epochs[^1].TrainLoss:F4}");
        double after = Spearman(ml, model, rows);
        Assert.True(after > 0.7 && after > before + 0.1, $"Spearman of cosine with the scores: untrained {before:F3}, trained {after:F3}");

        Assert.Equal(Hidden, model.EmbeddingSize);
        Assert.All(Embed(ml, model, PairData.Sentences(rows)), e => Assert.Equal(1.0, Math.Sqrt(e.Sum(x => (double)x * x)), 5));
    }

    [Fact]
    public void OnnxExportIsScoredByOnnxRuntimeAsTheTransformerEmbeds()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.LoraFineTune(Options(epochs: 2)).Fit(ml.Data.LoadFromEnumerable(PairData.Pairs()));
        var folder = temp["onnx"];
        Directory.CreateDirectory(folder);
        model.ExportToOnnx(Path.Combine(folder, "model.onnx"));

        var scoring = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "scoring.json")))!;
        Assert.Equal("sentence-embedding", scoring["task"]!.GetValue<string>());
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        Assert.Equal("BertModel", config["architectures"]![0]!.GetValue<string>());
        // Sentences of different lengths in one padded batch: the pooling must ignore the padding.
        string[] sentences = { "good news", "the market is very great today for apple", "   ", "awful" };
        var expected = Embed(ml, model, sentences);
        var batch = TextTokenizer.FromHuggingFaceFolder(folder).EncodeBatch(sentences, null, scoring["max_sequence_length"]!.GetValue<int>());
        using var session = new InferenceSession(Path.Combine(folder, "model.onnx"), OrtRunner.Options());
        var flat = OrtRunner.Run(session, batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, batch.BatchSize, batch.SequenceLength);
        Assert.Equal(sentences.Length * Hidden, flat.Length);
        for (int r = 0; r < sentences.Length; r++)
            for (int d = 0; d < Hidden; d++) Assert.InRange(Math.Abs(flat[r * Hidden + d] - expected[r][d]), 0, 1e-5);
    }

    [Fact]
    public void MultipleNegativesRankingTrainsOnPairsWithoutScores()
    {
        var ml = new MLContext(seed: 1);
        // Anchor and positive share their sentiment word: in-batch negatives teach the model that the word matters.
        var words = TinyHuggingFaceFolder.Words.Take(8).ToArray();
        var pairs = Enumerable.Range(0, 32).Select(i => new { Sentence1 = $"the stock was {words[i % 8]} today", Sentence2 = $"{words[i % 8]} news" }).ToArray();
        var data = ml.Data.LoadFromEnumerable(pairs);
        var options = Options(epochs: 8, loss: SentenceEmbeddingLoss.MultipleNegativesRanking);
        options.ValidationSet = data;   // no score column: the metric is the share of anchors whose positive is the nearest
        var model = ml.Transforms.LoraFineTune(options).Fit(data);
        var epochs = model.TrainingHistory!.Epochs;
        Assert.True(epochs[^1].TrainLoss < epochs[0].TrainLoss * 0.7, $"train loss {epochs[0].TrainLoss:F4} → {epochs[^1].TrainLoss:F4}");
        Assert.InRange(epochs[^1].ValidationMetric!.Value, 0.0, 1.0);

        // An anchor's own positive moves closer than the other positives.
        double Margin(ITransformer m)
        {
            var a = Embed(ml, m, pairs.Select(p => p.Sentence1));
            var p = Embed(ml, m, pairs.Select(p => p.Sentence2));
            double own = 0, other = 0;
            for (int i = 0; i < a.Length; i++)
                for (int j = 0; j < p.Length; j++)
                    if (words[i % 8] == words[j % 8]) own += Dot(a[i], p[j]);
                    else other += Dot(a[i], p[j]);
            return own / (a.Length * 4) - other / (a.Length * 28);
        }
        double before = Margin(LoraSentenceEmbeddingTransformer.FromPretrained(ml, Base)), after = Margin(model);
        Assert.True(after > 2 * before && after > before + 0.02, $"mean cos(anchor, own positive) - mean cos(anchor, other positive): untrained {before:F3}, trained {after:F3}");
    }

    [Fact]
    public void ValidationMetricIsTheSpearmanCorrelationOfCosineWithTheScores()
    {
        var ml = new MLContext(seed: 1);
        var rows = PairData.Pairs();
        var options = Options(epochs: 2);
        options.ValidationSet = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.LoraFineTune(options).Fit(ml.Data.LoadFromEnumerable(rows));
        // The last epoch is the best one here only if it scored best; compare the kept epoch's metric with a fresh computation.
        var kept = model.TrainingHistory!.Epochs[model.TrainingHistory.BestEpoch - 1];
        Assert.Equal(Spearman(ml, model, rows), kept.ValidationMetric!.Value, 4);
    }

    [Fact]
    public void SavedZipLoadsInAFreshProcessAndEmbedsTheSame()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.LoraFineTune(Options(epochs: 2)).Fit(ml.Data.LoadFromEnumerable(PairData.Pairs(16)));
        var probe = new[] { "the stock was good today", "awful news", "   ", "market okay $ + up", string.Join(' ', Enumerable.Repeat("profit", 200)) };
        var probeData = ml.Data.LoadFromEnumerable(probe.Select(p => new SentenceRow { Sentence1 = p }));
        var expected = Embed(ml, model, probe);
        var zip = Path.Combine(temp.Path, "model.zip");
        ml.Model.Save(model, probeData.Schema, zip);

        var (code, values, output) = ChildProcess.LoadAndScore(zip, new[] { "Sentence1" }, probe.Select(p => new[] { p }), "Embedding");
        Assert.True(code == 0, output);
        Assert.Equal("False", values["lora_loaded_before_load"]);
        var actual = values["Embedding"].Split(';').Select(r => r.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(Hidden, actual[i].Length);
            for (int j = 0; j < Hidden; j++) Assert.InRange(Math.Abs(expected[i][j] - actual[i][j]), 0, 1e-6);
        }

        // and in this process: a plain Model.Load, then a PredictionEngine (one sentence, no batch padding) agrees with Transform
        var loaded = new MLContext().Model.Load(zip, out _);
        var reloaded = Assert.IsType<LoraSentenceEmbeddingTransformer>(loaded is TransformerChain<ITransformer> chain ? chain.Single() : loaded);
        Assert.Equal(Hidden, reloaded.EmbeddingSize);
        var engine = new MLContext().Model.CreatePredictionEngine<SentenceRow, EmbeddingRow>(loaded);
        for (int i = 0; i < probe.Length; i++)
        {
            var one = engine.Predict(new SentenceRow { Sentence1 = probe[i] }).Embedding;
            for (int j = 0; j < Hidden; j++) Assert.InRange(Math.Abs(expected[i][j] - one[j]), 0, 1e-5);
        }
    }

    [Fact]
    public void APretrainedEmbedderIsTheBaseUntrainedAndSavesLikeAFittedOne()
    {
        var ml = new MLContext(seed: 1);
        var embedder = LoraSentenceEmbeddingTransformer.FromPretrained(ml, Base, sentence1ColumnName: "Text", embeddingColumnName: "Vector");
        Assert.Null(embedder.TrainingHistory);
        Assert.Equal(0, embedder.Parameters.Trainable);
        Assert.Throws<InvalidOperationException>(() => embedder.SaveAdapter(temp["none"]));   // nothing was trained: no adapter

        // The base's own encoder, mean-pooled: what a model fitted for zero steps would give.
        var texts = PairData.Sentences(PairData.Pairs(4));
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new { Text = t }));
        var expected = embedder.Transform(data).GetColumn<float[]>("Vector").ToArray();
        manual_seed(1);
        var (loaded, _) = HuggingFaceCheckpoint.LoadEncoder(baseFolder, addPoolingLayer: false);
        using (var model = new SentenceEmbeddingModel(loaded))
        using (no_grad())
        {
            model.eval();
            var tokenizer = Base.LoadTokenizer();
            for (int i = 0; i < texts.Length; i++)
            {
                var ids = tokenizer.Encode(texts[i]).InputIds.ToArray().Select(x => (long)x).ToArray();
                var e = model.forward(tensor(ids).unsqueeze(0), ones(1, ids.Length, dtype: ScalarType.Int64)).data<float>().ToArray();
                for (int j = 0; j < Hidden; j++) Assert.InRange(Math.Abs(e[j] - expected[i][j]), 0, 1e-6);
            }
        }

        var zip = temp["pretrained.zip"];
        ml.Model.Save(embedder, data.Schema, zip);
        var reloaded = new MLContext().Model.Load(zip, out _).Transform(data).GetColumn<float[]>("Vector").ToArray();
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], reloaded[i]);
    }

    [Fact]
    public void AMergedEmbedderIsABertModelFolderThatEmbedsTheSame()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.LoraFineTune(Options(epochs: 2)).Fit(ml.Data.LoadFromEnumerable(PairData.Pairs(16)));
        var merged = Path.Combine(temp.Path, "merged");
        model.SaveMergedModel(merged);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(merged, "config.json")))!;
        Assert.Equal("BertModel", config["architectures"]![0]!.GetValue<string>());
        Assert.DoesNotContain(SafetensorsHeader.Read(Path.Combine(merged, "model.safetensors")).Tensors.Keys, k => k.Contains("lora_", StringComparison.Ordinal));

        var back = ml.Transforms.LoraFineTune(new LoraSentenceEmbeddingOptions()).FromHuggingFaceModel(merged);   // the folder is the base
        var sentences = PairData.Sentences(PairData.Pairs(8, seed: 2));
        var a = Embed(ml, model, sentences);
        var b = Embed(ml, back, sentences);
        double max = a.Zip(b).SelectMany(p => p.First.Zip(p.Second, (x, y) => (double)Math.Abs(x - y))).Max();
        Assert.True(max <= 1e-5, $"embeddings differ by {max}");
        var untuned = Embed(ml, LoraSentenceEmbeddingTransformer.FromPretrained(ml, Base), sentences);
        Assert.True(a.Zip(untuned).SelectMany(p => p.First.Zip(p.Second, (x, y) => (double)Math.Abs(x - y))).Max() > 1e-3, "training changed nothing: the test proves nothing");
    }

    [Fact]
    public void PeftAdapterHasBareEncoderKeysAndLoadsBackToTheSameEmbeddings()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.LoraFineTune(Options(epochs: 2)).Fit(ml.Data.LoadFromEnumerable(PairData.Pairs(16)));
        var folder = Path.Combine(temp.Path, "adapter");
        model.SaveAdapter(folder);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json")))!;
        Assert.Equal("FEATURE_EXTRACTION", config["task_type"]!.GetValue<string>());
        Assert.Empty(config["modules_to_save"]?.AsArray() ?? new JsonArray());
        var keys = SafetensorsHeader.Read(Path.Combine(folder, "adapter_model.safetensors")).Tensors.Keys.ToList();
        Assert.Equal(2 * 2 * 2, keys.Count);   // 2 layers × query, value × A, B
        Assert.All(keys, k => Assert.Matches(@"^base_model\.model\.encoder\.layer\.\d\.attention\.self\.(query|value)\.lora_[AB]\.weight$", k));

        var imported = ml.Transforms.LoraFineTune(new LoraSentenceEmbeddingOptions { BaseModel = Base }).FromPeftAdapter(folder);
        var sentences = PairData.Sentences(PairData.Pairs(8, seed: 2));
        var a = Embed(ml, model, sentences);
        var b = Embed(ml, imported, sentences);
        for (int i = 0; i < a.Length; i++)
            for (int j = 0; j < Hidden; j++) Assert.InRange(Math.Abs(a[i][j] - b[i][j]), 0, 1e-6);

        // An adapter of another task type is refused naming the type.
        var classifier = Path.Combine(temp.Path, "seqcls");
        Directory.CreateDirectory(classifier);
        File.Copy(Path.Combine(folder, "adapter_model.safetensors"), Path.Combine(classifier, "adapter_model.safetensors"));
        File.WriteAllText(Path.Combine(classifier, "adapter_config.json"), config.ToJsonString().Replace("FEATURE_EXTRACTION", "SEQ_CLS"));
        var wrongType = Assert.Throws<InvalidDataException>(() => ml.Transforms.LoraFineTune(new LoraSentenceEmbeddingOptions { BaseModel = Base }).FromPeftAdapter(classifier));
        Assert.Contains("SEQ_CLS", wrongType.Message);
        Assert.Contains("FEATURE_EXTRACTION", wrongType.Message);
    }

    [Fact]
    public void EstimatorSchemaEqualsTheTransformersSchema()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(PairData.Pairs(8));
        var estimator = ml.Transforms.LoraFineTune(Options(epochs: 1));
        var shape = estimator.GetOutputSchema(SchemaShapes.From(data.Schema));
        var model = estimator.Fit(data);
        var schema = model.GetOutputSchema(data.Schema);
        Assert.Equal(schema, model.Transform(data).Schema, new SchemaComparer());

        var actual = SchemaShapes.From(schema);
        Assert.Equal(shape.Select(c => c.Name).Order(), actual.Select(c => c.Name).Order());
        foreach (var c in shape)
        {
            var a = actual.Single(x => x.Name == c.Name);
            Assert.Equal((c.Kind, c.ItemType, c.IsKey), (a.Kind, a.ItemType, a.IsKey));
        }
        var embedding = Assert.IsType<VectorDataViewType>(schema["Embedding"].Type);
        Assert.Equal((NumberDataViewType.Single, Hidden), (embedding.ItemType, embedding.Size));

        // Scoring reads the text column alone.
        var sentencesOnly = ml.Data.LoadFromEnumerable(new[] { new SentenceRow { Sentence1 = "good news" } });
        Assert.Single(model.Transform(sentencesOnly).GetColumn<float[]>("Embedding"));
    }

    [Fact]
    public void BadInputGivesErrorsThatNameTheColumnAndRow()
    {
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.LoraFineTune(Options(epochs: 1));
        PairRow[] Rows(Action<PairRow[]> change)
        {
            var rows = PairData.Pairs(6);
            change(rows);
            return rows;
        }
        InvalidDataException FitRows(PairRow[] rows, LoraSentenceEmbeddingEstimator? e = null)
            => Assert.Throws<InvalidDataException>(() => (e ?? estimator).Fit(ml.Data.LoadFromEnumerable(rows)));

        var empty = FitRows(Rows(r => r[2].Sentence2 = "  "));
        Assert.Contains("Row 2", empty.Message);
        Assert.Contains("'Sentence2'", empty.Message);

        var nan = FitRows(Rows(r => r[1].Score = float.NaN));
        Assert.Contains("Row 1", nan.Message);
        Assert.Contains("'Score'", nan.Message);
        Assert.Contains("NaN", nan.Message);

        var ranged = Options(epochs: 1);
        (ranged.MinScore, ranged.MaxScore) = (0, 1);
        var outside = FitRows(Rows(r => { }), ml.Transforms.LoraFineTune(ranged));
        Assert.Contains("Row 0", outside.Message);
        Assert.Contains("outside", outside.Message);

        Assert.Contains("MinScore", FitRows(Rows(r => { foreach (var p in r) p.Score = 3; })).Message);

        var noScore = ml.Data.LoadFromEnumerable(new[] { new { Sentence1 = "good", Sentence2 = "bad" } });
        Assert.Contains("'Score'", Assert.ThrowsAny<ArgumentException>(() => estimator.Fit(noScore)).Message);
        Assert.Contains("'Score'", Assert.ThrowsAny<ArgumentException>(() => estimator.GetOutputSchema(SchemaShapes.From(noScore.Schema))).Message);

        var textScore = ml.Data.LoadFromEnumerable(new[] { new { Sentence1 = "good", Sentence2 = "bad", Score = "high" } });
        var notNumber = Assert.ThrowsAny<ArgumentException>(() => estimator.Fit(textScore));
        Assert.Contains("'Score'", notNumber.Message);
        Assert.Contains("Single", notNumber.Message);

        var noSecond = ml.Data.LoadFromEnumerable(new[] { new { Sentence1 = "good", Score = 1f } });
        Assert.Contains("'Sentence2'", Assert.ThrowsAny<ArgumentException>(() => estimator.Fit(noSecond)).Message);

        var model = estimator.Fit(ml.Data.LoadFromEnumerable(PairData.Pairs(6)));
        var noText = ml.Data.LoadFromEnumerable(new[] { new { Text = "good" } });
        Assert.Contains("'Sentence1'", Assert.ThrowsAny<ArgumentException>(() => model.Transform(noText)).Message);

        var headOnly = Options();
        headOnly.Method = FineTuningMethod.HeadOnly;
        Assert.Contains("no head", Assert.Throws<ArgumentException>(() => ml.Transforms.LoraFineTune(headOnly)).Message);
        var noScoreColumn = Options();
        noScoreColumn.ScoreColumnName = null;
        Assert.Contains("MultipleNegativesRanking", Assert.Throws<ArgumentException>(() => ml.Transforms.LoraFineTune(noScoreColumn)).Message);
        var sameColumns = Options();
        sameColumns.Sentence2ColumnName = "Sentence1";
        Assert.Throws<ArgumentException>(() => ml.Transforms.LoraFineTune(sameColumns));
    }

    [Fact]
    public void ACheckpointResumesOnlyTheSameRun()
    {
        var rows = PairData.Pairs(24);
        bool Resumed(Action<LoraSentenceEmbeddingOptions> change, PairRow[]? changedRows = null)
        {
            var ml = new MLContext(seed: 1);
            var folder = Path.Combine(temp.Path, "ckpt-" + Guid.NewGuid().ToString("N"));
            using var cts = new CancellationTokenSource();
            var first = Options(epochs: 1);
            first.CheckpointDirectory = folder;
            first.CancellationToken = cts.Token;
            first.Progress = new SyncProgress(p => { if (p.Step >= 1 && p.Phase == TrainingPhase.Training) cts.Cancel(); });
            Assert.ThrowsAny<OperationCanceledException>(() => ml.Transforms.LoraFineTune(first).Fit(ml.Data.LoadFromEnumerable(rows)));
            var second = Options(epochs: 1);
            second.CheckpointDirectory = folder;
            change(second);
            return ml.Transforms.LoraFineTune(second).Fit(ml.Data.LoadFromEnumerable(changedRows ?? rows)).TrainingHistory!.Resumed;
        }

        Assert.True(Resumed(_ => { }));
        Assert.False(Resumed(o => o.Loss = SentenceEmbeddingLoss.MultipleNegativesRanking));
        Assert.False(Resumed(o => o.MaxScore = 10));
        Assert.False(Resumed(_ => { }, rows.Select(r => new PairRow { Sentence1 = r.Sentence1, Sentence2 = r.Sentence2, Score = 5 - r.Score }).ToArray()));
    }

    private sealed class SchemaComparer : IEqualityComparer<DataViewSchema>
    {
        public bool Equals(DataViewSchema? x, DataViewSchema? y)
            => x!.Count == y!.Count && x.Zip(y).All(p => p.First.Name == p.Second.Name && p.First.Type.Equals(p.Second.Type));

        public int GetHashCode(DataViewSchema obj) => obj.Count;
    }
}
