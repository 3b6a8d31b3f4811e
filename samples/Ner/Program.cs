// Ner: LoRA fine-tuning of a sentence encoder for entity recognition (SEC filings by default), in an ML.NET pipeline.
// ModelBuilder.cs trains and saves model.zip; ConsumeModel.cs is all an application needs to use it.
using System.Diagnostics;
using System.Globalization;
using Ner;
using Samples.Common;

return SampleRunner.Run(() =>
{
    var commandLine = CommandLine.Parse(args, NerSettings.ValueOptions);
    if (commandLine.HelpRequested)
    {
        Console.WriteLine(NerSettings.Usage);
        return 0;
    }
    var settings = NerSettings.From(commandLine);
    var clock = Stopwatch.StartNew();

    var (modelPath, metrics) = ModelBuilder.Train(settings, new TrainingProgressBar { MetricName = "entity F1" });

    string[] sentences =
    [
        "This Credit Agreement is entered into by Acme Holdings Inc. and Wells Fargo Bank , National Association , as Agent .",
        "The Borrower shall deliver notices to John Smith at 200 Park Avenue , New York , New York .",
        "Goldman Sachs and Morgan Stanley acted as joint lead arrangers for the Delaware corporation .",
    ];
    Console.WriteLine();
    Console.WriteLine("Entities in new sentences, found with model.zip loaded in a fresh MLContext:");
    var consumer = new ConsumeModel(modelPath);
    foreach (var sentence in sentences)
    {
        Console.WriteLine($"  {sentence}");
        var entities = consumer.Entities(sentence);
        if (entities.Count == 0) Console.WriteLine("    (none)");
        foreach (var e in entities)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {e.Type,-5} {e.Text}  (words {e.FirstWord}-{e.LastWord}, confidence {e.Confidence:F2})"));
    }

    Console.WriteLine();
    Console.WriteLine(ResultLine.Format(("entity_f1", metrics.MicroF1), ("precision", metrics.MicroPrecision), ("recall", metrics.MicroRecall),
        ("token_accuracy", metrics.TokenAccuracy), ("test_sentences", metrics.SentenceCount), ("seconds", (long)clock.Elapsed.TotalSeconds)));
    return 0;
});
