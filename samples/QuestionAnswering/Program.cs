// QuestionAnswering: LoRA fine-tuning of a sentence encoder for extractive question answering (SQuAD v1.1), in an ML.NET pipeline.
// ModelBuilder.cs trains, evaluates and saves model.zip; ConsumeModel.cs is all an application needs to use it.
using System.Diagnostics;
using System.Globalization;
using QuestionAnswering;
using Samples.Common;

return SampleRunner.Run(() =>
{
    var commandLine = CommandLine.Parse(args, QaSettings.ValueOptions);
    if (commandLine.HelpRequested)
    {
        Console.WriteLine(QaSettings.Usage);
        return 0;
    }
    var settings = QaSettings.From(commandLine);
    var clock = Stopwatch.StartNew();

    var (modelPath, metrics) = ModelBuilder.Run(settings, new TrainingProgressBar { MetricName = "SQuAD F1" });

    const string paragraph =
        "Northwind Traders reported third-quarter revenue of $2.41 billion, up 8.3% from a year earlier, beating the consensus estimate "
        + "of $2.35 billion. Operating margin expanded to 14.2% from 12.9%, helped by lower freight costs. Chief Financial Officer "
        + "María Álvarez said the company raised its full-year earnings guidance to $5.10 to $5.25 per share and will buy back "
        + "$500 million of stock by the end of 2025. Shares rose 6% in after-hours trading in New York.";
    string[] questions =
    [
        "How much revenue did Northwind Traders report?",
        "What was the operating margin?",
        "Why did the operating margin expand?",
        "Who is the chief financial officer?",
        "What is the new full-year earnings guidance?",
        "How much stock will the company buy back?",
    ];
    Console.WriteLine();
    Console.WriteLine("Answers from model.zip loaded in a fresh MLContext:");
    Console.WriteLine($"  {paragraph}");
    var consumer = new ConsumeModel(modelPath);
    foreach (var question in questions)
    {
        var answer = consumer.Answer(paragraph, question);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  Q: {question}\n     A: {(answer.AnswerStart < 0 ? "(none)" : answer.Answer)}  (characters {answer.AnswerStart}-{answer.AnswerStart + answer.Answer.Length}, score {answer.Score:F2})"));
    }

    Console.WriteLine();
    Console.WriteLine(ResultLine.Format(("exact_match", metrics.ExactMatch), ("f1", metrics.F1), ("test_questions", metrics.QuestionCount),
        ("seconds", (long)clock.Elapsed.TotalSeconds)));
    return 0;
});
