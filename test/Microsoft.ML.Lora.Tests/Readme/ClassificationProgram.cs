namespace Microsoft.ML.Lora.Tests.Readme;

/// <summary>
/// The README's classification program: "A pipeline" and the snippets that continue it (many threads, own checkpoint, PEFT, ONNX export), read from README.md, compiled as one console program and run once on train.csv (rows of the sentiment set,
/// some with quoted line breaks) with the real MiniLM; the epilogue hands the program's variables to the tests.
/// </summary>
public sealed class ClassificationProgram : IDisposable
{
    /// <summary>The README sections whose snippets make up the program, in order.</summary>
    public static readonly string[] Sections = ["A pipeline", "Many threads, reloads and memory", "Your own Hugging Face checkpoint", "PEFT adapters, both ways", "ONNX export"];

    private const string Epilogue = """
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("texts", rows.GetColumn<string>("Text").ToArray());
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("quotingOnly", ml.Data.LoadFromTextFile<Row>("train.csv", separatorChar: ',', hasHeader: true, allowQuoting: true).GetColumn<string>("Text").ToArray());
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("model", model);
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("label", prediction.PredictedLabel);
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("score", prediction.Score);
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("finbert", finbert);
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("classifier", model.GetFineTunedTransformer<LoraTextClassificationTransformer>());
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("logits", logits);
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("concurrentLabel", predictor.Predict(new Input { Text = "Shares jumped after the earnings beat" }).PredictedLabel);
        string afterDispose = "no exception";
        try { app.Model.CreateConcurrentPredictor<Input, Prediction>(previous).Predict(new Input { Text = "bad news" }); }
        catch (Exception e) { afterDispose = e.GetType().Name; }
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("afterDispose", afterDispose);
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("fromAdapter", fromAdapter);
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("fromMerged", fromMerged);
        Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("another", another);
        """;

    private readonly TempFolder temp = new("lora-readme-");

    /// <summary>Writes the files the snippets name and runs the program.</summary>
    public ClassificationProgram()
    {
        Rows = ReadmeWorld.WriteSentimentCsv(temp["train.csv"], perClass: 8, multiline: 2);
        Directory.CreateDirectory(temp["models"]);
        Directory.Move(TinyHuggingFaceFolder.Create(temp), temp["models/finbert"]);
        Run = SnippetProgram.Run(Sections.Select(ReadmeSnippet.In).ToList(), temp.Path, Epilogue);
    }

    /// <summary>The rows written to train.csv.</summary>
    public IReadOnlyList<(string Text, string Label)> Rows { get; }

    /// <summary>What the program printed and kept.</summary>
    public SnippetRun Run { get; }

    /// <summary>A file the program wrote, by its path relative to the program's folder.</summary>
    public string this[string relative] => temp[relative];

    /// <inheritdoc />
    public void Dispose() => temp.Dispose();
}
