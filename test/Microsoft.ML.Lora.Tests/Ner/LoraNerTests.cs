using System.Globalization;
using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Ner;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Ner;

/// <summary>A tiny random BERT fine-tuned once on the toy set, shared by the tests that only score with it.</summary>
public sealed class TrainedToyNer : IDisposable
{
    public TrainedToyNer()
    {
        BaseFolder = TinyHuggingFaceFolder.Create(Temp);
        Ml = new MLContext(seed: 1);
        Rows = NerToyData.Sentences();
        Data = Ml.Data.LoadFromEnumerable(Rows);
        var options = LoraNerTests.Options(BaseFolder, epochs: 20);
        options.ValidationSet = Data;
        Model = Ml.Transforms.LoraFineTune(options).Fit(Data);
    }

    internal TempFolder Temp { get; } = new();
    public string BaseFolder { get; }
    public MLContext Ml { get; }
    public NerRow[] Rows { get; }
    public IDataView Data { get; }
    public LoraNerTransformer Model { get; }

    public void Dispose() => Temp.Dispose();
}

public class LoraNerTests(TrainedToyNer toy) : IClassFixture<TrainedToyNer>
{
    internal static LoraNerOptions Options(string baseFolder, int epochs) => new()
    {
        BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder),
        Method = FineTuningMethod.Lora(new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 }),
        Epochs = epochs, BatchSize = 8, LearningRate = 1e-2, WarmupFraction = 0, Seed = 3,
    };

    private static uint[][] Keys(IDataView scored, string column = "PredictedLabel")
        => scored.GetColumn<VBuffer<uint>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    private static float[][] Confidences(IDataView scored)
        => scored.GetColumn<VBuffer<float>>("Confidence").Select(v => v.DenseValues().ToArray()).ToArray();

    [Fact]
    public void TinyModelLearnsTheToyEntitiesPerfectly()
    {
        var ml = toy.Ml;
        var scored = toy.Model.Transform(toy.Data);
        var metrics = ml.MulticlassClassification.EvaluateNer(scored);
        var losses = string.Join(" ", toy.Model.TrainingHistory!.Epochs.Select(e => e.TrainLoss.ToString("F3", CultureInfo.InvariantCulture)));
        Assert.True(metrics.TokenAccuracy == 1.0 && metrics.MicroF1 == 1.0, $"{metrics}; losses {losses}");
        Assert.Equal(new[] { "LOC", "ORG", "PER" }, metrics.PerType.Keys);
        Assert.All(metrics.PerType.Values, m => Assert.Equal(1.0, m.F1));
        Assert.Equal(1.0, toy.Model.TrainingHistory.Epochs[^1].ValidationMetric);   // entity F1 on the validation set
        Assert.Equal(new[] { "O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER" }, toy.Model.Tags);
        Assert.Equal(new[] { "LOC", "ORG", "PER" }, toy.Model.EntityTypes);

        // PredictedLabel is a key vector with the tags as key values: MapKeyToValue gives the tag strings
        var column = scored.Schema["PredictedLabel"];
        var type = Assert.IsType<VectorDataViewType>(column.Type);
        Assert.False(type.IsKnownSize);
        Assert.Equal(7ul, Assert.IsType<KeyDataViewType>(type.ItemType).Count);
        var named = ml.Transforms.Conversion.MapKeyToValue("PredictedTags", "PredictedLabel").Fit(scored).Transform(scored);
        var predictedTags = named.GetColumn<string[]>("PredictedTags").ToArray();
        Assert.Equal(toy.Rows.Select(r => r.Label), predictedTags);
        Assert.All(Confidences(scored).Zip(toy.Rows), x =>
        {
            Assert.Equal(x.Second.Label.Length, x.First.Length);
            Assert.All(x.First, c => Assert.InRange(c, 1f / 7, 1f));
        });
    }

    [Fact]
    public void PredictionsTurnIntoEntitySpans()
    {
        const string sentence = "mary met john at stock market";
        var spans = toy.Model.PredictEntities(sentence);
        Assert.Equal(new[] { ("PER", "mary", 0, 0), ("PER", "john", 2, 2), ("ORG", "stock market", 4, 5) },
            spans.Select(s => (s.Type, s.Text, s.FirstWord, s.LastWord)));
        // A sentence the model never saw: each span's tag well above chance (1/7); how far above depends on the seed's init.
        Assert.All(spans, s => Assert.InRange(s.Confidence, 1f / 3, 1f));

        // the same from a PredictionEngine's output
        var engine = toy.Ml.Model.CreatePredictionEngine<SentenceOnly, TagPrediction>(toy.Model);
        var p = engine.Predict(new SentenceOnly { Sentence = sentence });
        var words = sentence.Split(' ');
        Assert.Equal(spans, toy.Model.ToEntities(words, p.PredictedLabel, p.Confidence));

        // an I- without its B- (here forced by hand) is read as the start of an entity
        var keys = words.Select(_ => (uint)1).ToArray();
        keys[2] = (uint)toy.Model.Tags.ToList().IndexOf("I-LOC") + 1;
        Assert.Equal(("LOC", 2, 2), toy.Model.ToEntities(words, keys).Select(s => (s.Type, s.FirstWord, s.LastWord)).Single());
        Assert.Contains("6 words", Assert.Throws<ArgumentException>(() => toy.Model.ToEntities(words, keys[1..])).Message);
        Assert.Empty(toy.Model.PredictEntities("   "));
    }

    [Fact]
    public void ASentenceLongerThanTheModelIsPredictedWholeThroughWindows()
    {
        // 1,000 words against a model of 66 positions: about 31 windows
        var long1000 = string.Join(' ', Enumerable.Range(0, 250).Select(i => i % 2 == 0 ? "john visited london today" : "google said profit was")).Split(' ');
        Assert.Equal(1000, long1000.Length);
        var data = toy.Ml.Data.LoadFromEnumerable(new[]
        {
            new SentenceOnly { Sentence = string.Join(' ', long1000) }, new SentenceOnly { Sentence = "mary met john" }, new SentenceOnly { Sentence = "" },
        });
        var scored = toy.Model.Transform(data);
        var keys = Keys(scored);
        var confidences = Confidences(scored);
        Assert.Equal(new[] { 1000, 3, 0 }, keys.Select(k => k.Length));
        Assert.Equal(new[] { 1000, 3, 0 }, confidences.Select(k => k.Length));
        Assert.All(keys[0], k => Assert.InRange(k, 1u, 7u));

        // Each word's tag and confidence are those of the window that owns it, scored as a sentence of its own
        // ([CLS] words [SEP] is exactly how a window is encoded); tags may differ only by the B-/I- repair at window edges.
        var tokenizer = Microsoft.ML.Lora.Tokenization.TextTokenizer.FromHuggingFaceFolder(toy.BaseFolder);
        var windows = SentenceWindows.Split(tokenizer.EncodeWords(long1000), null, 0, toy.Model.MaxSequenceLength, toy.Model.WindowOverlap,
            tokenizer.ClsId, tokenizer.SepId, out _);
        Assert.InRange(windows.Count, 25, 40);
        var windowScores = toy.Model.Transform(toy.Ml.Data.LoadFromEnumerable(windows.Select(w =>
            new SentenceOnly { Sentence = string.Join(' ', long1000[w.FirstWord..(w.FirstWord + w.WordCount)]) })));
        var windowKeys = Keys(windowScores);
        var windowConfidences = Confidences(windowScores);
        string TypeOf(uint key) => toy.Model.Tags[(int)key - 1] is var t && t.Length > 2 ? t[2..] : t;
        for (int k = 0; k < windows.Count; k++)
            for (int j = 0; j < windows[k].WordCount; j++)
            {
                if (!windows[k].Owns[j]) continue;
                int word = windows[k].FirstWord + j;
                Assert.Equal(windowConfidences[k][j], confidences[0][word], 4);
                Assert.Equal(TypeOf(windowKeys[k][j]), TypeOf(keys[0][word]));
            }
        Assert.Equal(toy.Model.PredictEntities(long1000).Count, toy.Model.ToEntities(long1000, keys[0]).Count);
    }

    [Fact]
    public void LongTrainingSentencesAreCutIntoWindowsAndLogged()
    {
        var ml = new MLContext(seed: 1);
        var rows = NerToyData.Sentences(10);
        var longRow = new NerRow
        {
            Sentence = string.Join(' ', Enumerable.Repeat("john visited london today", 30)),
            Label = Enumerable.Repeat(new[] { "B-PER", "O", "B-LOC", "O" }, 30).SelectMany(t => t).ToArray(),
        };
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var model = ml.Transforms.LoraFineTune(Options(toy.BaseFolder, epochs: 1)).Fit(ml.Data.LoadFromEnumerable(rows.Append(longRow)));
        Assert.Contains(log, m => m.Contains("1 of 11 sentence(s) of the training data exceed 66 tokens") && m.Contains("overlap 32"));
        Assert.Equal(32, model.WindowOverlap);
        Assert.Equal(66, model.MaxSequenceLength);
    }

    [Fact]
    public void TokenColumnAndKeyLabelsWorkAndPredictedKeysEqualLabelKeys()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(NerToyData.AsTokens(NerToyData.Sentences()));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var options = Options(toy.BaseFolder, epochs: 20);
        options.SentenceColumnName = "Tokens";
        var model = ml.Transforms.LoraFineTune(options).Fit(keyed);

        var labelKeyValues = default(VBuffer<ReadOnlyMemory<char>>);
        keyed.Schema["Label"].GetKeyValues(ref labelKeyValues);
        var labelTags = labelKeyValues.DenseValues().Select(v => v.ToString()).ToArray();
        Assert.Equal(labelTags, model.Tags.Take(labelTags.Length));   // the label's keys come first, in key order
        var scored = model.Transform(keyed);
        Assert.Equal(Keys(keyed, "Label"), Keys(scored));
        Assert.Equal(1.0, ml.MulticlassClassification.EvaluateNer(scored).MicroF1);
    }

    [Fact]
    public void ALabelCountThatDiffersFromTheWordCountNamesTheRowAndBothCounts()
    {
        var ml = new MLContext(seed: 1);
        var rows = NerToyData.Sentences(5);
        rows[3] = new NerRow { Sentence = "john visited london today", Label = new[] { "B-PER", "O", "B-LOC" } };
        var e = Assert.Throws<InvalidDataException>(() => ml.Transforms.LoraFineTune(Options(toy.BaseFolder, 1)).Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("Row 3", e.Message);
        Assert.Contains("4 word(s) in column 'Sentence'", e.Message);
        Assert.Contains("3 tag(s) in column 'Label'", e.Message);
    }

    [Fact]
    public void IoAndIob1LabelsAreConvertedToIob2()
    {
        var ml = new MLContext(seed: 1);
        var channel = ((Runtime.IHostEnvironment)ml).Start("test");
        IReadOnlyList<string[]> Read(TagScheme scheme, params (string Sentence, string[] Tags)[] rows)
        {
            var data = ml.Data.LoadFromEnumerable(rows.Select(r => new NerRow { Sentence = r.Sentence, Label = r.Tags }));
            return new NerDataReader(new LoraNerOptions { LabelScheme = scheme }).Read(data, "data", channel).Select(s => s.Tags).ToArray();
        }

        // IO: a run of I-X is one entity
        Assert.Equal(new[] { new[] { "B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG", "I-ORG" } },
            Read(TagScheme.Io, ("john mary visited london at stock market", new[] { "I-PER", "I-PER", "O", "I-LOC", "O", "I-ORG", "I-ORG" })));
        // IOB1: B-X only between two adjacent entities of one type
        Assert.Equal(new[] { new[] { "B-PER", "B-PER", "O", "B-LOC", "I-LOC" } },
            Read(TagScheme.Iob1, ("john mary visited london paris", new[] { "I-PER", "B-PER", "O", "I-LOC", "I-LOC" })));
        // IOB2 input with an I-X after O is repaired the way conlleval reads it
        Assert.Equal(new[] { new[] { "O", "B-LOC" } }, Read(TagScheme.Iob2, ("in london", new[] { "O", "I-LOC" })));
        var bad = Assert.Throws<InvalidDataException>(() => Read(TagScheme.Iob2, ("a b", new[] { "O", "O" }), ("in london", new[] { "O", "E-LOC" })));
        Assert.Contains("Row 1", bad.Message);
        Assert.Contains("'Label'", bad.Message);
        Assert.Contains("'E-LOC'", bad.Message);

        // end to end: IO labels train an IOB2 tagger, and the evaluation converts IO gold the same way
        var ioRows = NerToyData.Sentences(10).Select(r => new NerRow { Sentence = r.Sentence, Label = r.Label.Select(t => t == "O" ? t : "I-" + t[2..]).ToArray() }).ToArray();
        var ioData = ml.Data.LoadFromEnumerable(ioRows);
        var options = Options(toy.BaseFolder, epochs: 1);
        options.LabelScheme = TagScheme.Io;
        var model = ml.Transforms.LoraFineTune(options).Fit(ioData);
        Assert.Equal(TagScheme.Io, model.LabelScheme);
        Assert.Equal(new[] { "O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER" }, model.Tags);
        var scored = model.Transform(ioData);
        var asIob2 = ml.MulticlassClassification.EvaluateNer(scored, labelScheme: TagScheme.Io);
        var expected = NerEvaluator.Evaluate(NerToyData.Sentences(10).Select(r => (IReadOnlyList<string>)r.Label).ToArray(),
            Keys(scored).Select(k => (IReadOnlyList<string>)k.Select(x => model.Tags[(int)x - 1]).ToArray()).ToArray());
        Assert.Equal(expected.ToString(), asIob2.ToString());
    }

    [Fact]
    public void SavedZipLoadsInAFreshProcessAndPredictsTheSame()
    {
        var probe = new[]
        {
            "mary visited paris at stock market today", "john , unbelievablesing london . $ + -", "",
            string.Join(' ', Enumerable.Repeat("google said john was in paris", 30)),   // 180 words: windows
        };
        var probeData = toy.Ml.Data.LoadFromEnumerable(probe.Select(p => new SentenceOnly { Sentence = p }));
        var scored = toy.Model.Transform(probeData);
        var expectedKeys = Keys(scored);
        var expectedConfidences = Confidences(scored);
        var zip = Path.Combine(toy.Temp.Path, "ner.zip");
        toy.Ml.Model.Save(toy.Model, probeData.Schema, zip);
        using (var archive = ZipFile.OpenRead(zip))
            Assert.Contains(archive.Entries, e => e.FullName.EndsWith("Weights.safetensors"));

        // an Id column keeps the row with an empty sentence from being a blank line, which the TSV loader would skip
        var (code, values, output) = ChildProcess.LoadAndScore(zip, new[] { "Id", "Sentence" }, probe.Select((p, i) => new[] { $"{i}", p }), "PredictedLabel", "Confidence");
        Assert.True(code == 0, output);
        Assert.Equal("False", values["lora_loaded_before_load"]);
        Assert.Equal(expectedKeys.Select(k => string.Join(" ", k)), values["PredictedLabel"].Split(';'));
        var confidences = values["Confidence"].Split(';').Select(r => r.Length == 0 ? Array.Empty<float>() : r.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.Equal(expectedConfidences.Length, confidences.Length);
        for (int i = 0; i < confidences.Length; i++)
        {
            Assert.Equal(expectedConfidences[i].Length, confidences[i].Length);
            for (int j = 0; j < confidences[i].Length; j++) Assert.InRange(Math.Abs(expectedConfidences[i][j] - confidences[i][j]), 0, 1e-5);
        }
        Assert.Equal(string.Join(";", expectedKeys.Select(k => string.Join(" ", k.Select(x => toy.Model.Tags[(int)x - 1])))), values["PredictedLabel.KeyValues"]);

        // and in this process, through mlContext.Model.Load + PredictionEngine
        var loaded = Assert.IsType<LoraNerTransformer>(new MLContext().Model.Load(zip, out _));
        Assert.Equal(toy.Model.Tags, loaded.Tags);
        Assert.Equal(toy.Model.WindowOverlap, loaded.WindowOverlap);
        var engine = new MLContext().Model.CreatePredictionEngine<SentenceOnly, TagPrediction>(loaded);
        Assert.Equal(expectedKeys[3], engine.Predict(new SentenceOnly { Sentence = probe[3] }).PredictedLabel);
    }

    [Fact]
    public void BadColumnTypesGiveErrorsThatNameTheColumn()
    {
        var ml = toy.Ml;
        var est = ml.Transforms.LoraFineTune(Options(toy.BaseFolder, epochs: 1));
        Exception Fit<T>(IEnumerable<T> rows) where T : class => Assert.ThrowsAny<ArgumentException>(() => est.Fit(ml.Data.LoadFromEnumerable(rows)));

        var numbers = Fit(new[] { new { Sentence = 1f, Label = new[] { "O" } } });
        Assert.Contains("'Sentence'", numbers.Message);
        Assert.Contains("String", numbers.Message);
        var scalarLabel = Fit(new[] { new { Sentence = "john", Label = "B-PER" } });
        Assert.Contains("'Label'", scalarLabel.Message);
        Assert.Contains("vector of String", scalarLabel.Message);
        var numberLabels = Fit(new[] { new { Sentence = "john", Label = new[] { 1f } } });
        Assert.Contains("'Label'", numberLabels.Message);
        var missing = Fit(new[] { new { Text = "john", Label = new[] { "B-PER" } } });
        Assert.Contains("'Sentence'", missing.Message);
        Assert.Contains("not found", missing.Message);

        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(new[] { new NerRow { Sentence = "x", Label = new[] { "PER" } } }));
        var notIob2 = Assert.ThrowsAny<ArgumentException>(() => est.Fit(keyed.Transform(ml.Data.LoadFromEnumerable(new[] { new NerRow { Sentence = "x", Label = new[] { "PER" } } }))));
        Assert.Contains("'PER'", notIob2.Message);
        Assert.Contains("LabelScheme", notIob2.Message);

        var schema = Microsoft.ML.Lora.Pipeline.SchemaShapes.From(ml.Data.LoadFromEnumerable(new[] { new { Sentence = 1f, Label = new[] { "O" } } }).Schema);
        Assert.Contains("'Sentence'", Assert.ThrowsAny<ArgumentException>(() => est.GetOutputSchema(schema)).Message);
        var scoringSchema = ml.Data.LoadFromEnumerable(new[] { new { Sentence = new[] { 1f } } }).Schema;
        Assert.Contains("'Sentence'", Assert.ThrowsAny<ArgumentException>(() => toy.Model.GetOutputSchema(scoringSchema)).Message);
    }

    [Fact]
    public void CatalogEntriesBuildTheEstimatorAndItsOutputSchema()
    {
        var est = toy.Ml.MulticlassClassification.Trainers.LoraNer(sentenceColumnName: "Sentence", labelScheme: TagScheme.Iob1, epochs: 1);
        Assert.IsType<LoraNerEstimator>(est);
        var shape = est.GetOutputSchema(Microsoft.ML.Lora.Pipeline.SchemaShapes.From(toy.Data.Schema));
        var predicted = shape.Single(c => c.Name == "PredictedLabel");
        Assert.True(predicted.IsKey);
        Assert.Equal(SchemaShape.Column.VectorKind.VariableVector, predicted.Kind);
        Assert.Contains(predicted.Annotations, a => a.Name == "KeyValues");
        Assert.Equal(NumberDataViewType.Single, shape.Single(c => c.Name == "Confidence").ItemType);

        // and the transformer's actual schema agrees with the estimator's promise
        var actual = toy.Model.GetOutputSchema(toy.Data.Schema);
        Assert.Equal(toy.Model.Tags.Count, (int)((KeyDataViewType)((VectorDataViewType)actual["PredictedLabel"].Type).ItemType).Count);
        Assert.NotNull(actual["PredictedLabel"].Annotations.Schema.GetColumnOrNull("KeyValues"));
    }

    public sealed class SentenceOnly { public string Sentence { get; set; } = ""; }

    public sealed class TagPrediction
    {
        public uint[] PredictedLabel { get; set; } = Array.Empty<uint>();
        public float[] Confidence { get; set; } = Array.Empty<float>();
    }
}
