using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Lora;
using Samples.Common;

namespace QuestionAnswering;

/// <summary>The training side: read SQuAD files, fit LoRA question answering, evaluate EM/F1 on the test file, save the model and charts.</summary>
public static class ModelBuilder
{
    /// <summary>The question words the evaluation is broken down by (the first of them in the question; "other" when none).</summary>
    private static readonly string[] QuestionWords = ["what", "which", "who", "when", "where", "how", "why"];

    /// <summary>Trains (or loads <see cref="QaSettings.ModelFile"/>), evaluates and saves; returns the model path and the test metrics.</summary>
    public static (string ModelPath, QuestionAnsweringMetrics Metrics) Run(QaSettings settings, TrainingProgressBar progress)
    {
        var ml = new MLContext(seed: settings.Seed);
        LibraryLog.Attach(ml, progress);
        var test = Read(settings.TestFile, settings.Limit);
        ITransformer model;
        string zip;
        if (settings.ModelFile is { } saved)
        {
            Console.WriteLine($"Model: {saved} (no training)");
            model = ml.Model.Load(saved, out _);
            zip = saved;
        }
        else
        {
            var train = Read(settings.DataFile, settings.Limit);
            if (settings.TrainQuestions is { } n && n < train.Count)
            {
                var rng = new Random(settings.Seed);
                train = train.OrderBy(_ => rng.Next()).Take(n).ToList();
            }
            (model, zip) = Train(ml, settings, train, progress);
        }
        Console.WriteLine($"Test data: {Path.GetFileName(settings.TestFile)}, {test.Count:N0} questions, {test.Sum(q => q.Answers.Length):N0} reference answers");
        // Cached: the evaluation and the per-question-word table read the answers of one scoring pass.
        var scored = ml.Data.Cache(model.Transform(ml.Data.LoadFromEnumerable(test)));
        var metrics = ml.MulticlassClassification.EvaluateQuestionAnswering(scored);
        var answers = scored.GetColumn<string>("Answer").ToArray();
        Report(metrics, test, answers, settings.OutputFolder);
        return (zip, metrics);
    }

    private static (ITransformer Model, string Zip) Train(MLContext ml, QaSettings s, List<SquadQuestion> train, TrainingProgressBar progress)
    {
        Console.WriteLine($"Training data: {Path.GetFileName(s.DataFile)}, {train.Count:N0} questions on {train.Select(q => q.Context).Distinct().Count():N0} paragraphs"
            + (s.Limit is { } l ? $" (--limit {l} questions per file)" : ""));
        var options = new LoraQuestionAnsweringOptions
        {
            BaseModel = s.BaseModel,
            // Span extraction reads every token: adapters on every Linear of the encoder, at a higher rate than LoRA's default.
            Method = FineTuningMethod.Lora(new LoraOptions { Rank = s.LoraRank, Alpha = 2 * s.LoraRank, TargetAllLinear = true }),
            // A window holds the question and at least three quarters of context (BERT's 64-token questions in windows of 256).
            MaxSequenceLength = s.MaxLength, DocumentStride = s.Stride, MaxQuestionLength = Math.Min(64, s.MaxLength / 4),
            Epochs = s.Epochs, BatchSize = s.BatchSize, LearningRate = s.LearningRate, WarmupFraction = 0.1,
            Device = s.Device, Seed = s.Seed, Progress = progress,
        };
        Console.WriteLine();
        Console.WriteLine($"Fine-tuning {s.BaseModel.Name} for question answering with LoRA r={s.LoraRank} on every linear layer: {s.Epochs} epoch(s), "
            + $"windows of {s.MaxLength} tokens (stride {s.Stride}), batch {s.BatchSize}, learning rate {s.LearningRate.ToString(CultureInfo.InvariantCulture)}");
        var data = ml.Data.LoadFromEnumerable(train);
        var model = ml.Transforms.LoraFineTune(options).Fit(data);

        Directory.CreateDirectory(s.OutputFolder);
        string zip = Path.Combine(s.OutputFolder, "model.zip");
        // The saved model reads ModelInput (Context and Question) and writes Answer, AnswerStart and Score.
        var inputSchema = ml.Data.LoadFromEnumerable(Array.Empty<ModelInput>()).Schema;
        AtomicFile.Write(zip, tmp => ml.Model.Save(model, inputSchema, tmp));
        model.SaveAdapter(Path.Combine(s.OutputFolder, "adapter"));
        Charts.LossCurve(model.TrainingHistory!, Path.Combine(s.OutputFolder, "loss.png"));
        return (model, zip);
    }

    private static List<SquadQuestion> Read(string path, int? limit)
    {
        var questions = SquadReader.Read(path);
        return (limit is { } n ? questions.Take(n) : questions).ToList();
    }

    private static void Report(QuestionAnsweringMetrics m, List<SquadQuestion> test, string[] answers, string output)
    {
        Console.WriteLine();
        Console.WriteLine($"SQuAD v1.1 on the test data: exact match {F(m.ExactMatch)}, F1 {F(m.F1)} ({m.QuestionCount:N0} questions; best over the reference answers)");
        var groups = test.Select((q, i) => (Word: QuestionWord(q.Question), Prediction: answers[i], References: (IReadOnlyList<string>)q.Answers))
            .GroupBy(x => x.Word).OrderByDescending(g => g.Count()).ToList();
        var table = new TextTable("question", "questions", "exact match", "F1");
        var byWord = groups.Select(g => (g.Key, Metrics: QuestionAnsweringMetrics.Compute(g.Select(x => (x.Prediction, x.References))))).ToList();
        foreach (var (word, metrics) in byWord)
            table.Add(word, metrics.QuestionCount.ToString("N0", CultureInfo.InvariantCulture), F(metrics.ExactMatch), F(metrics.F1));
        table.WriteTo(Console.Out);
        Directory.CreateDirectory(output);
        Charts.GroupedBars(byWord.Select(x => $"{x.Key} ({x.Metrics.QuestionCount})").ToList(),
        [
            ("exact match", byWord.Select(x => x.Metrics.ExactMatch / 100).ToList()),
            ("F1", byWord.Select(x => x.Metrics.F1 / 100).ToList()),
        ], Path.Combine(output, "f1-by-question.png"), $"SQuAD v1.1 by question word (F1 {F(m.F1)}, EM {F(m.ExactMatch)})");
    }

    private static string QuestionWord(string question)
    {
        var words = question.ToLowerInvariant().Split([' ', '?', ',', '\'', '"'], StringSplitOptions.RemoveEmptyEntries);
        return words.FirstOrDefault(QuestionWords.Contains) ?? "other";
    }

    private static string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
}
