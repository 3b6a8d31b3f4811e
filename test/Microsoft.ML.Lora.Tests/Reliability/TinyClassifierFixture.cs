using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Tests.TextClassification;
using Microsoft.ML.Lora.TextClassification;

namespace Microsoft.ML.Lora.Tests.Reliability;

/// <summary>A tiny random-BERT classifier fine-tuned once (LoRA r = 2, one epoch of the toy set) and saved as a zip.</summary>
public sealed class TinyClassifierFixture : IDisposable
{
    public TinyClassifierFixture()
    {
        Ml = new MLContext(seed: 1);
        var raw = Ml.Data.LoadFromEnumerable(ToyData.Sentiment(repeat: 1));
        var data = Ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        Model = Ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            BaseModel = PretrainedModel.FromHuggingFaceFolder(TinyHuggingFaceFolder.Create(Temp)),
            Method = FineTuningMethod.Lora(new LoraOptions { Rank = 2 }), Epochs = 1, BatchSize = 8, Seed = 1, MaxSequenceLength = 32,
        }).Fit(data);
        Zip = Temp["model.zip"];
        Ml.Model.SaveAtomically(Model, data.Schema, Zip);
    }

    internal TempFolder Temp { get; } = new();
    public MLContext Ml { get; }
    public LoraTextClassificationTransformer Model { get; }
    public string Zip { get; }

    public void Dispose() => Temp.Dispose();
}
