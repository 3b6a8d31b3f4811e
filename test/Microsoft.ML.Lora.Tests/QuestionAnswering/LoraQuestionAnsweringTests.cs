using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.QuestionAnswering;
using Microsoft.ML.Lora.Tests.Onnx;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace Microsoft.ML.Lora.Tests.QuestionAnswering;

/// <summary>A tiny random BERT fine-tuned once on the toy QA set, shared by the tests that only score with it.</summary>
public sealed class TrainedToyQa : IDisposable
{
    public TrainedToyQa()
    {
        BaseFolder = TinyHuggingFaceFolder.Create(Temp);
        Ml = new MLContext(seed: 1);
        Ml.Log += (_, e) => { lock (Log) Log.Add(e.Message); };
        Rows = QaToyData.Rows();
        Data = Ml.Data.LoadFromEnumerable(Rows);
        var options = LoraQuestionAnsweringTests.Options(BaseFolder, epochs: 25);
        options.ValidationSet = Data;
        Model = Ml.Transforms.LoraFineTune(options).Fit(Data);
    }

    internal TempFolder Temp { get; } = new();
    public string BaseFolder { get; }
    public MLContext Ml { get; }
    public List<string> Log { get; } = new();
    public QaRow[] Rows { get; }
    public IDataView Data { get; }
    public LoraQuestionAnsweringTransformer Model { get; }

    public void Dispose() => Temp.Dispose();
}

public class LoraQuestionAnsweringTests(TrainedToyQa toy) : IClassFixture<TrainedToyQa>
{
    /// <summary>Windows of 32 tokens sharing 8 context tokens: the 40-word toy contexts need several.</summary>
    internal static LoraQuestionAnsweringOptions Options(string baseFolder, int epochs, FineTuningMethod? method = null) => new()
    {
        BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder),
        Method = method ?? FineTuningMethod.Lora(new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0, TargetAllLinear = true }),
        Epochs = epochs, BatchSize = 8, LearningRate = 1e-2, WarmupFraction = 0, Seed = 3,
        MaxSequenceLength = 32, DocumentStride = 8, MaxQuestionLength = 8, MaxAnswerLength = 4,
    };

    private static QaOutput[] Outputs(MLContext ml, IDataView scored)
        => ml.Data.CreateEnumerable<QaOutput>(scored, reuseRowObject: false).ToArray();

    private static void AssertExactSubstrings(IEnumerable<QaInput> inputs, IEnumerable<QaOutput> outputs)
    {
        foreach (var (input, output) in inputs.Zip(outputs))
        {
            if (output.AnswerStart < 0)
            {
                Assert.Equal(("", 0f), (output.Answer, output.Score));
                continue;
            }
            Assert.Equal(input.Context.Substring(output.AnswerStart, output.Answer.Length), output.Answer);
            Assert.InRange(output.Score, 0f, 1f);
        }
    }

    [Fact]
    public void TinyModelLearnsTheToyPatternAndTrainingLowersTheLoss()
    {
        var scored = toy.Model.Transform(toy.Data);
        var metrics = toy.Ml.MulticlassClassification.EvaluateQuestionAnswering(scored);
        var epochs = toy.Model.TrainingHistory!.Epochs;
        var losses = string.Join(" ", epochs.Select(e => e.TrainLoss.ToString("F3", CultureInfo.InvariantCulture)));
        Assert.True(metrics.ExactMatch == 100 && metrics.F1 == 100, $"{metrics}; losses {losses}");
        Assert.True(epochs[^1].TrainLoss < epochs[0].TrainLoss / 5, losses);
        Assert.Equal(1.0, epochs[^1].ValidationMetric!.Value, 6);   // mean SQuAD F1 (0-1) on the validation rows

        var outputs = Outputs(toy.Ml, scored);
        Assert.Equal(toy.Rows.Select(r => (r.Answers[0], r.AnswerStarts[0])), outputs.Select(o => (o.Answer, o.AnswerStart)));
        Assert.All(outputs, o => Assert.InRange(o.Score, 0.3f, 1f));
        // the 40-word contexts were cut into windows, and the windows without the company trained on [CLS]
        Assert.Contains(toy.Log, m => m.Contains("48 question(s) of the training data make") && m.Contains("6 context(s) needed more than one window")
            && m.Contains("lack the answer and train on [CLS]"));
    }

    [Fact]
    public void AContextOfManyWindowsIsAnsweredFromTheWindowThatHoldsTheAnswer()
    {
        var rng = new Random(5);
        // Windows without the company hold fillers only: which window wins is then the windowing's doing, not how well a toy
        // model trained on contexts of at most 40 words tells a company from ~80 distractors (that depends on its random init).
        var rows = new[] { QaToyData.Row("google", 380, 400, rng, distractors: false), QaToyData.Row("stock market", 3, 400, rng, distractors: false),
            QaToyData.Row("apple", 200, 400, rng, distractors: false) };
        var inputs = rows.Select(r => new QaInput { Context = r.Context, Question = r.Question }).ToArray();
        var outputs = Outputs(toy.Ml, toy.Model.Transform(toy.Ml.Data.LoadFromEnumerable(inputs)));
        Assert.Equal(rows.Select(r => (r.Answers[0], r.AnswerStarts[0])), outputs.Select(o => (o.Answer, o.AnswerStart)));
        var tokenizer = TextTokenizer.FromHuggingFaceFolder(toy.BaseFolder);
        var example = QuestionAnsweringRows.Encode(tokenizer, 0, rows[0].Context, rows[0].Question, 8, out _);
        int windows = DocumentWindows.Split(example, 32, 8, tokenizer.ClsId, tokenizer.SepId).Count;
        Assert.True(windows > 15, $"{windows} windows");
    }

    [Fact]
    public void PredictionEngineAndPredictAnswersAgreeWithBatchedTransform()
    {
        var inputs = toy.Rows.Take(10).Select(r => new QaInput { Context = r.Context, Question = r.Question }).ToArray();
        var batched = Outputs(toy.Ml, toy.Model.Transform(toy.Ml.Data.LoadFromEnumerable(inputs)));
        var engine = toy.Ml.Model.CreatePredictionEngine<QaInput, QaOutput>(toy.Model);
        for (int i = 0; i < inputs.Length; i++)
        {
            var one = engine.Predict(inputs[i]);
            Assert.Equal((batched[i].Answer, batched[i].AnswerStart), (one.Answer, one.AnswerStart));
            Assert.InRange(Math.Abs(batched[i].Score - one.Score), 0, 1e-5);
            var top = toy.Model.PredictAnswers(inputs[i].Context, inputs[i].Question, count: 3);
            Assert.Equal(3, top.Count);
            Assert.Equal((one.Answer, one.AnswerStart), (top[0].Text, top[0].Start));
            Assert.Equal(3, top.Select(a => (a.Start, a.End)).Distinct().Count());
            Assert.All(top, a => Assert.Equal(inputs[i].Context[a.Start..a.End], a.Text));
        }
    }

    [Fact]
    public void SavedZipLoadsAndAnswersTheSame()
    {
        var path = Path.Combine(toy.Temp.Path, "qa.zip");
        toy.Ml.Model.Save(toy.Model, toy.Data.Schema, path);
        var ml = new MLContext();
        var loaded = ml.Model.Load(path, out _);
        Assert.IsType<LoraQuestionAnsweringTransformer>(loaded);
        var a = Outputs(toy.Ml, toy.Model.Transform(toy.Data));
        var b = Outputs(ml, loaded.Transform(ml.Data.LoadFromEnumerable(toy.Rows)));
        Assert.Equal(a.Select(o => (o.Answer, o.AnswerStart)), b.Select(o => (o.Answer, o.AnswerStart)));
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].Score, b[i].Score, 6);
        var restored = (LoraQuestionAnsweringTransformer)loaded;
        Assert.Equal((32, 8, 8, 4, 20), (restored.MaxSequenceLength, restored.DocumentStride, restored.MaxQuestionLength, restored.MaxAnswerLength, restored.NBestSize));
    }

    [Fact]
    public void EstimatorSchemaEqualsTheTransformedSchema()
    {
        var estimator = toy.Ml.Transforms.LoraFineTune(Options(toy.BaseFolder, 1));
        var shape = estimator.GetOutputSchema(SchemaShapes.From(toy.Data.Schema));
        var schema = toy.Model.Transform(toy.Data).Schema;
        Assert.Equal(schema.Select(c => c.Name), shape.Select(c => c.Name));
        foreach (var (name, type) in new[] { ("Answer", (DataViewType)TextDataViewType.Instance), ("AnswerStart", NumberDataViewType.Int32), ("Score", NumberDataViewType.Single) })
        {
            Assert.Equal(type, schema[name].Type);
            var column = shape.Single(c => c.Name == name);
            Assert.Equal((type, SchemaShape.Column.VectorKind.Scalar, false), (column.ItemType, column.Kind, column.IsKey));
        }
        Assert.Equal(toy.Model.GetOutputSchema(toy.Data.Schema).Select(c => (c.Name, c.Type)), schema.Select(c => (c.Name, c.Type)));

        var trainer = toy.Ml.MulticlassClassification.Trainers.LoraQuestionAnswering(epochs: 1);
        Assert.IsType<LoraQuestionAnsweringEstimator>(trainer);
        Assert.Equal(shape.Select(c => c.Name), trainer.GetOutputSchema(SchemaShapes.From(toy.Data.Schema)).Select(c => c.Name));
        var noAnswers = toy.Ml.Data.LoadFromEnumerable(new[] { new QaInput() });
        Assert.Contains("'Answers' not found", Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(SchemaShapes.From(noAnswers.Schema))).Message);
    }

    [Fact]
    public void PeftAdapterIsQuestionAnsweringAndImportsToTheSameAnswers()
    {
        var folder = Path.Combine(toy.Temp.Path, "adapter");
        toy.Model.SaveAdapter(folder);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json"))))
        {
            Assert.Equal("QUESTION_ANS", json.RootElement.GetProperty("task_type").GetString());
            Assert.Contains("qa_outputs", json.RootElement.GetProperty("modules_to_save").EnumerateArray().Select(e => e.GetString()));
        }
        var header = SafetensorsHeader.Read(Path.Combine(folder, "adapter_model.safetensors"));
        Assert.Equal(new long[] { 2, 64 }, header.Tensors["base_model.model.qa_outputs.weight"].Shape);
        Assert.Equal(new long[] { 2 }, header.Tensors["base_model.model.qa_outputs.bias"].Shape);
        Assert.Contains("base_model.model.bert.encoder.layer.1.output.dense.lora_B.weight", header.Tensors.Keys);   // all-linear

        var imported = toy.Ml.Transforms.LoraFineTune(Options(toy.BaseFolder, epochs: 1)).FromPeftAdapter(folder);
        var a = Outputs(toy.Ml, toy.Model.Transform(toy.Data));
        var b = Outputs(toy.Ml, imported.Transform(toy.Data));
        Assert.Equal(a.Select(o => (o.Answer, o.AnswerStart)), b.Select(o => (o.Answer, o.AnswerStart)));
        // float rounding apart: the trained model scores with LoRA merged, the import with it beside the shared base's W0
        for (int i = 0; i < a.Length; i++) Assert.InRange(Math.Abs(a[i].Score - b[i].Score), 0, 1e-5);

        var merged = Path.Combine(toy.Temp.Path, "merged");
        toy.Model.SaveMergedModel(merged);
        Assert.Contains("BertForQuestionAnswering", File.ReadAllText(Path.Combine(merged, "config.json")));
        var c = Outputs(toy.Ml, toy.Ml.Transforms.LoraFineTune(Options(toy.BaseFolder, epochs: 1)).FromHuggingFaceModel(merged).Transform(toy.Data));
        Assert.Equal(a.Select(o => (o.Answer, o.AnswerStart)), c.Select(o => (o.Answer, o.AnswerStart)));
        for (int i = 0; i < a.Length; i++) Assert.InRange(Math.Abs(a[i].Score - c[i].Score), 0, 1e-5);

        var text = Path.Combine(toy.Temp.Path, "seqcls");
        Directory.CreateDirectory(text);
        File.WriteAllText(Path.Combine(text, "adapter_config.json"), File.ReadAllText(Path.Combine(folder, "adapter_config.json")).Replace("QUESTION_ANS", "SEQ_CLS"));
        File.Copy(Path.Combine(folder, "adapter_model.safetensors"), Path.Combine(text, "adapter_model.safetensors"));
        Assert.Contains("expected 'QUESTION_ANS'", Assert.Throws<InvalidDataException>(() =>
            toy.Ml.Transforms.LoraFineTune(Options(toy.BaseFolder, epochs: 1)).FromPeftAdapter(text)).Message);
    }

    [Fact]
    public void EmptyContextsAndQuestionsGetNoAnswerAndNonAsciiAnswersAreExactSubstrings()
    {
        var inputs = new[]
        {
            new QaInput { Context = "", Question = "company ?" },
            new QaInput { Context = "apple shares up", Question = "" },
            new QaInput { Context = " \n\t\u200B ", Question = "company ?" },
            new QaInput { Context = "apple shares up", Question = "\u0007" },
            new QaInput { Context = "Zoë Café\u0301 said apple was up 5 % — très bien", Question = "company ?" },
            new QaInput { Context = "北京 and 東京 said google 株式会社 was up", Question = "company ?" },
            new QaInput { Context = "🚀🚀 google 🚀 shares 📈 up", Question = "company 🚀 ?" },
            new QaInput { Context = "ΟΔΟΣ ΣΑΣ İstanbul said apple", Question = "ΣΑΣ company ?" },
        };
        var outputs = Outputs(toy.Ml, toy.Model.Transform(toy.Ml.Data.LoadFromEnumerable(inputs)));
        for (int i = 0; i < 4; i++) Assert.Equal(("", -1, 0f), (outputs[i].Answer, outputs[i].AnswerStart, outputs[i].Score));
        AssertExactSubstrings(inputs, outputs);
        Assert.Equal(new[] { "apple", "google", "google", "apple" }, outputs[4..].Select(o => o.Answer));
        Assert.Empty(toy.Model.PredictAnswers("", "company ?"));
        Assert.Empty(toy.Model.PredictAnswers("apple", " "));
    }

    public static TheoryData<string> HostileTexts => Reliability.Text.HostileTextTests.Cases;

    [Theory]
    [MemberData(nameof(HostileTexts))]
    public void HostileTextAsContextOrQuestionGivesAnExactSubstringOrNoAnswerFromBothScoringPaths(string @case)
    {
        string text = Reliability.Text.HostileTextTests.Texts[@case];
        var inputs = new[]
        {
            new QaInput { Context = text, Question = "company ?" },
            new QaInput { Context = "the news said apple was up", Question = text },
            new QaInput { Context = text + " google " + text, Question = text + " company ?" },
        };
        var batched = Outputs(toy.Ml, toy.Model.Transform(toy.Ml.Data.LoadFromEnumerable(inputs)));
        AssertExactSubstrings(inputs, batched);
        var engine = toy.Ml.Model.CreatePredictionEngine<QaInput, QaOutput>(toy.Model);
        Assert.Equal(batched.Select(o => (o.Answer, o.AnswerStart)), inputs.Select(i => engine.Predict(i)).Select(o => (o.Answer, o.AnswerStart)));
        Assert.All(batched, o => Assert.True(float.IsFinite(o.Score)));
    }

    [Fact]
    public void OnnxExportGivesTheLibrarysStartAndEndLogits()
    {
        var folder = Path.Combine(toy.Temp.Path, "onnx");
        Directory.CreateDirectory(folder);
        toy.Model.ExportToOnnx(Path.Combine(folder, "qa.onnx"));
        var scoring = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "scoring.json")))!;
        Assert.Equal("question-answering", scoring["task"]!.GetValue<string>());
        Assert.Equal(new[] { "start_logits", "end_logits" }, scoring["outputs"]!.AsArray().Select(o => o!["name"]!.GetValue<string>()));
        Assert.Equal("BertForQuestionAnswering", JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!["architectures"]![0]!.GetValue<string>());

        // Question first, context second, padded to the longest pair: the exported tokenizer, ONNX Runtime, both outputs.
        var rows = toy.Rows.Take(5).ToList();
        var batch = TextTokenizer.FromHuggingFaceFolder(folder).EncodeBatch(rows.Select(r => r.Question).ToList(), rows.Select(r => r.Context).ToList(),
            scoring["max_sequence_length"]!.GetValue<int>());
        var library = ExportTestModels.LibraryLogits(toy.Model.ScoringModel.Model, batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, batch.BatchSize, batch.SequenceLength);
        using var session = new InferenceSession(Path.Combine(folder, "qa.onnx"), OrtRunner.Options());
        for (int output = 0; output < 2; output++)
        {
            var onnx = OrtRunner.Run(session, batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, batch.BatchSize, batch.SequenceLength, output);
            Assert.Equal(batch.InputIds.Length, onnx.Length);
            for (int i = 0; i < onnx.Length; i++)
                if (batch.AttentionMask[i] == 1) Assert.InRange(Math.Abs(onnx[i] - library[i * 2 + output]), 0, 1e-4);
        }
    }

    [Fact]
    public void RandomModelAnswersOnUnicodeTextAreExactSubstrings()
    {
        // An untrained model picks arbitrary spans: each must still be the context's own text, whatever the script.
        var ml = new MLContext(seed: 1);
        var options = Options(toy.BaseFolder, epochs: 1);
        options.Method = FineTuningMethod.HeadOnly;
        options.LearningRate = 1e-9;
        var model = ml.Transforms.LoraFineTune(options).Fit(ml.Data.LoadFromEnumerable(QaToyData.Rows(8)));
        var contexts = new[]
        {
            "Société Générale et Crédit Agricole: résultats déçus, naïveté",
            "任天堂株式会社の本社は京都市にある。売上高は1兆円。",
            "🚀 Rocket Lab 🚀 launches 📈📈 up 5½ % — Zürich's Ångström & Søn",
            "cafe\u0301 İstanbul ΟΔΟΣ ΣΑΣ \u200Bzero\u200Bwidth\u0007 end",
        };
        var inputs = contexts.SelectMany(c => new[] { "what ?", "wer hat gewonnen ?", "誰 ?" }.Select(q => new QaInput { Context = c, Question = q })).ToArray();
        var outputs = Outputs(ml, model.Transform(ml.Data.LoadFromEnumerable(inputs)));
        Assert.All(outputs, o => Assert.True(o.AnswerStart >= 0 && o.Answer.Length > 0));
        AssertExactSubstrings(inputs, outputs);
        foreach (var i in inputs)
            Assert.All(model.PredictAnswers(i.Context, i.Question, 20), a => Assert.Equal(i.Context.Substring(a.Start, a.Text.Length), a.Text));
    }
}
