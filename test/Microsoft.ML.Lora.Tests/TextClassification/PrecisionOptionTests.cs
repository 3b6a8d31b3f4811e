using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.TextClassification;

/// <summary>Precision and GradientCheckpointing through the estimator: training, the .zip, and scoring in the other precision.</summary>
public class PrecisionOptionTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string baseFolder;

    public PrecisionOptionTests() => baseFolder = TinyHuggingFaceFolder.Create(temp);

    public void Dispose() => temp.Dispose();

    private LoraTextClassificationOptions Options(Precision precision, GradientCheckpointing checkpointing = GradientCheckpointing.None) => new()
    {
        BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder),
        Method = FineTuningMethod.Lora(new LoraOptions { Rank = 4, Alpha = 8, TargetAllLinear = true }),
        Epochs = 15, BatchSize = 8, LearningRate = 1e-2, WarmupFraction = 0, Seed = 3,
        LabelColumnName = "Label", Sentence1ColumnName = "Sentence1", Precision = precision, GradientCheckpointing = checkpointing,
    };

    private static (MLContext Ml, IDataView Data) Data()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(ToyData.Sentiment());
        return (ml, ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw));
    }

    private static float[][] Scores(IDataView scored) => scored.GetColumn<float[]>("Score").ToArray();

    private static float MaxDiff(float[][] a, float[][] b) => a.Zip(b).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));

    [Fact]
    public void BFloat16TrainedZipLoadsInBFloat16AndScoresCloseInFloat32()
    {
        var (ml, data) = Data();
        var model = ml.Transforms.LoraFineTune(Options(Precision.BFloat16)).Fit(data);
        Assert.Equal(Precision.BFloat16, model.Precision);
        var reference = ml.Transforms.LoraFineTune(Options(Precision.Float32)).Fit(data);
        double Accuracy(ITransformer m) => ml.MulticlassClassification.Evaluate(m.Transform(data), labelColumnName: "Label").MicroAccuracy;
        double accuracy = Accuracy(model), fp32Accuracy = Accuracy(reference);
        Assert.True(accuracy > 0.9 && accuracy >= fp32Accuracy - 0.05, $"bfloat16 accuracy {accuracy}, float32 {fp32Accuracy}");
        var expected = Scores(model.Transform(data));

        var zip = Path.Combine(temp.Path, "bf16.zip");
        ml.Model.Save(model, data.Schema, zip);
        var loaded = (LoraTextClassificationTransformer)new MLContext().Model.Load(zip, out _);
        Assert.Equal(Precision.BFloat16, loaded.Precision);
        Assert.True(MaxDiff(expected, Scores(loaded.Transform(data))) < 1e-5f);

        loaded.UsePrecision(Precision.Float32);
        Assert.Equal(Precision.Float32, loaded.Precision);
        var fp32 = Scores(loaded.Transform(data));
        Assert.True(MaxDiff(expected, fp32) < 0.05f, $"float32 scoring of a bfloat16 model differs by {MaxDiff(expected, fp32)}");
        Assert.Equal(expected.Select(ArgMax), fp32.Select(ArgMax));
    }

    [Fact]
    public void Float32ModelScoresCloseInBFloat16AndCheckpointingTrainsTheSameModel()
    {
        var (ml, data) = Data();
        var plain = ml.Transforms.LoraFineTune(Options(Precision.Float32)).Fit(data);
        var expected = Scores(plain.Transform(data));
        foreach (var mode in new[] { GradientCheckpointing.Attention, GradientCheckpointing.Layers })
        {
            var checkpointed = ml.Transforms.LoraFineTune(Options(Precision.Float32, mode)).Fit(data);
            Assert.True(MaxDiff(expected, Scores(checkpointed.Transform(data))) < 1e-4f, $"gradient checkpointing of {mode} changed the trained model");
        }

        plain.UsePrecision(Precision.BFloat16);
        var bf16 = Scores(plain.Transform(data));
        Assert.True(MaxDiff(expected, bf16) < 0.05f, $"bfloat16 scoring differs by {MaxDiff(expected, bf16)}");
    }

    [Fact]
    public void AnUndefinedPrecisionIsRejectedByName()
    {
        var (ml, data) = Data();
        var options = Options((Precision)7);
        var e = Assert.ThrowsAny<ArgumentException>(() => ml.Transforms.LoraFineTune(options).Fit(data));
        Assert.Equal("Precision", e.ParamName);
        Assert.Contains("Float32 or BFloat16", e.Message);
    }

    [Fact]
    public void AnUndefinedCheckpointingIsRejectedByName()
    {
        var (ml, data) = Data();
        var options = Options(Precision.Float32, (GradientCheckpointing)5);
        var e = Assert.ThrowsAny<ArgumentException>(() => ml.Transforms.LoraFineTune(options).Fit(data));
        Assert.Equal("GradientCheckpointing", e.ParamName);
        Assert.Contains("None, Attention or Layers", e.Message);
    }

    private static int ArgMax(float[] v) => Array.IndexOf(v, v.Max());
}
