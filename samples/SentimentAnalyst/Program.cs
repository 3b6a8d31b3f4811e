// SentimentAnalyst: LoRA fine-tuning of a sentence encoder on finance headlines, calibrated, in an ML.NET pipeline.
// ModelBuilder.cs trains and saves model.zip; ConsumeModel.cs is all an application needs to use it.
using System.Diagnostics;
using System.Globalization;
using Samples.Common;
using SentimentAnalyst;
using SentimentAnalyst.Backtest;

return SampleRunner.Run(() =>
{
    var commandLine = CommandLine.Parse(args, [.. SentimentSettings.ValueOptions, .. BacktestSettings.ValueOptions],
        BacktestSettings.Flags, BacktestSettings.OptionalValueOptions);
    if (commandLine.HelpRequested)
    {
        Console.WriteLine(SentimentSettings.Usage);
        Console.WriteLine(BacktestSettings.Usage);
        return 0;
    }
    // --backtest: score tweets with a saved model.zip and test the sentiment against the stocks' later returns.
    if (BacktestSettings.Requested(commandLine)) return BacktestMode.Run(BacktestSettings.From(commandLine, SentimentSettings.ValueOptions));
    var settings = SentimentSettings.From(commandLine);
    var clock = Stopwatch.StartNew();

    var outcome = ModelBuilder.Train(settings, new TrainingProgressBar());

    // Analyst text leans positive ("we remain constructive"), which is why the scores are calibrated: a 0.9 should be right 9 times in 10.
    string[] sentences =
    [
        "We reiterate our Buy rating with a raised price target of $185.",
        "Margins compressed more than expected; we cut our estimates.",
        "Downgrading to Underperform as order trends weaken and inventories build.",
        "Results were in line with consensus; we maintain our Hold rating.",
        "Record quarterly revenue and strong guidance should drive upside to shares.",
        "The company will report fourth-quarter results on February 12.",
    ];
    Console.WriteLine();
    Console.WriteLine("Scoring analyst-style sentences with model.zip, loaded in a fresh MLContext (calibrated probabilities):");
    var consumer = new ConsumeModel(outcome.ModelPath);
    foreach (var sentence in sentences)
    {
        var prediction = consumer.Predict(sentence);
        var probabilities = string.Join("  ", consumer.ClassNames.Select((name, i) => string.Create(CultureInfo.InvariantCulture, $"{name} {prediction.Score[i]:F2}")));
        Console.WriteLine($"  {prediction.PredictedLabel,-8}  [{probabilities}]  {sentence}");
    }

    var r = outcome.Report;
    Console.WriteLine();
    Console.WriteLine(ResultLine.Format(("accuracy", r.Accuracy), ("macro_f1", r.MacroF1), ("ece_before", r.Before.ExpectedCalibrationError),
        ("ece_after", r.After.ExpectedCalibrationError), ("test_rows", r.Rows), ("seconds", (long)clock.Elapsed.TotalSeconds)));
    return 0;
});
