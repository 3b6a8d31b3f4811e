using System.Reflection;
using Microsoft.ML.Data;
using SentimentApi.Client;

namespace Microsoft.ML.Lora.Tests.Samples;

/// <summary>
/// A tiny classifier saved as SentimentAnalyst saves its model.zip (reads Text; PredictedLabel mapped back to the class name;
/// Score), and SentimentApi serving it from a child process on 127.0.0.1 and a free port, micro-batching on.
/// </summary>
public sealed class SentimentApiFixture : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly TempFolder temp = new("lora-api-");

    public SentimentApiFixture()
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(TextClassification.ToyData.Sentiment(repeat: 2).Select(r => new LabelledText { Text = r.Sentence1, Label = r.Label }));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(rows).Transform(rows);
        var model = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            Sentence1ColumnName = "Text", LabelColumnName = "Label", Epochs = 1, BatchSize = 8, MaxSequenceLength = 32,
            BaseModel = PretrainedModel.FromHuggingFaceFolder(TinyHuggingFaceFolder.Create(temp)),
        }).Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(keyed);
        Zip = temp["model.zip"];
        ml.Model.SaveAtomically(model, ml.Data.LoadFromEnumerable(Array.Empty<TextInput>()).Schema, Zip);
        Server = Start();
        Client = new HttpClient { BaseAddress = Server.Address };
    }

    /// <summary>The served model.</summary>
    public string Zip { get; }

    /// <summary>The running API (micro-batching on).</summary>
    public ApiServerProcess Server { get; }

    /// <summary>A client of it.</summary>
    public HttpClient Client { get; }

    /// <summary>Starts another SentimentApi on the same model with <paramref name="args"/>.</summary>
    public ApiServerProcess Start(params string[] args)
    {
        string dll = typeof(SentimentApiFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SentimentApiPath").Value!;
        return ApiServerProcess.Start(ChildProcess.DotnetHost(), dll, Zip, StartTimeout, args);
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
        temp.Dispose();
    }

    /// <summary>What the application sends.</summary>
    public sealed class TextInput
    {
        public string Text { get; set; } = "";
    }

    /// <summary>What SentimentAnalyst's ModelOutput reads.</summary>
    public sealed class Prediction
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }

    private sealed class LabelledText
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }
}
