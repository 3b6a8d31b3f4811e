using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.Ner;
using Microsoft.ML.Lora.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Options;

/// <summary>
/// Every numeric option must be finite and in range, refused when the estimator is created (before any data is read), with
/// the option's name in the message. NaN passes every "&lt;" test and +∞ every "&gt;" test, so both are probed everywhere.
/// </summary>
public class OptionValidationTests
{
    private static readonly Dictionary<string, Action<FineTuningOptions>> SharedCases = new()
    {
        ["LearningRate=+inf"] = o => o.LearningRate = double.PositiveInfinity,
        ["LearningRate=-inf"] = o => o.LearningRate = double.NegativeInfinity,
        ["LearningRate=NaN"] = o => o.LearningRate = double.NaN,
        ["LearningRate=0"] = o => o.LearningRate = 0,
        ["LearningRate=-1e-3"] = o => o.LearningRate = -1e-3,
        ["LearningRate=1e38"] = o => o.LearningRate = 1e38,
        ["LearningRate=2"] = o => o.LearningRate = 2,
        ["MaxGradNorm=NaN"] = o => o.MaxGradNorm = double.NaN,
        ["MaxGradNorm=-1"] = o => o.MaxGradNorm = -1,
        ["MaxGradNorm=+inf"] = o => o.MaxGradNorm = double.PositiveInfinity,
        ["CheckpointEverySteps=-1"] = o => o.CheckpointEverySteps = -1,
        ["WarmupFraction=NaN"] = o => o.WarmupFraction = double.NaN,
        ["WarmupFraction=-0.1"] = o => o.WarmupFraction = -0.1,
        ["WarmupFraction=1.5"] = o => o.WarmupFraction = 1.5,
        ["WarmupFraction=+inf"] = o => o.WarmupFraction = double.PositiveInfinity,
        ["WeightDecay=NaN"] = o => o.WeightDecay = double.NaN,
        ["WeightDecay=-0.01"] = o => o.WeightDecay = -0.01,
        ["WeightDecay=+inf"] = o => o.WeightDecay = double.PositiveInfinity,
        ["WeightDecay=5"] = o => o.WeightDecay = 5,
        ["ScoringBatchSize=0"] = o => o.ScoringBatchSize = 0,
        ["ScoringBatchSize=-1"] = o => o.ScoringBatchSize = -1,
        ["ScoringBatchSize=int.MaxValue"] = o => o.ScoringBatchSize = int.MaxValue,
        ["BatchSize=0"] = o => o.BatchSize = 0,
        ["BatchSize=-5"] = o => o.BatchSize = -5,
        ["BatchSize=int.MaxValue"] = o => o.BatchSize = int.MaxValue,
        ["Epochs=0"] = o => o.Epochs = 0,
        ["Epochs=-1"] = o => o.Epochs = -1,
        ["MaxSequenceLength=2"] = o => o.MaxSequenceLength = 2,
        ["MaxSequenceLength=-1"] = o => o.MaxSequenceLength = -1,
        ["EarlyStoppingPatience=0"] = o => o.EarlyStoppingPatience = 0,
        ["NumberOfThreads=0"] = o => o.NumberOfThreads = 0,
        ["NumberOfThreads=-2"] = o => o.NumberOfThreads = -2,
        ["CheckpointDirectory=blank"] = o => o.CheckpointDirectory = "   ",
        ["CheckpointDirectory=nul"] = o => o.CheckpointDirectory = "a\0b",
        ["Device=7"] = o => o.Device = (ComputeDevice)7,
        ["BaseModel=null"] = o => o.BaseModel = null!,
        ["Method=null"] = o => o.Method = null!,
    };

    private static readonly Dictionary<string, Action<LoraTextClassificationOptions>> ClassificationCases = new()
    {
        ["LabelColumnName=empty"] = o => o.LabelColumnName = "",
        ["Sentence1ColumnName=null"] = o => o.Sentence1ColumnName = null!,
        ["Sentence2ColumnName=blank"] = o => o.Sentence2ColumnName = " ",
        ["ScoreColumnName=empty"] = o => o.ScoreColumnName = "",
        ["PredictedLabelColumnName=Score"] = o => o.PredictedLabelColumnName = "Score",
        ["CalibrateScores without ValidationSet"] = o => o.CalibrateScores = true,
    };

    private static readonly Dictionary<string, Action<LoraNerOptions>> NerCases = new()
    {
        ["WindowOverlap=-1"] = o => o.WindowOverlap = -1,
        ["SentenceColumnName=empty"] = o => o.SentenceColumnName = "",
        ["ConfidenceColumnName=PredictedLabel"] = o => o.ConfidenceColumnName = "PredictedLabel",
        ["LabelScheme=9"] = o => o.LabelScheme = (TagScheme)9,
    };

    private static readonly Dictionary<string, Action<LoraQuestionAnsweringOptions>> QuestionAnsweringCases = new()
    {
        ["DocumentStride=-1"] = o => o.DocumentStride = -1,
        ["MaxQuestionLength=0"] = o => o.MaxQuestionLength = 0,
        ["MaxAnswerLength=0"] = o => o.MaxAnswerLength = 0,
        ["NBestSize=-3"] = o => o.NBestSize = -3,
        ["ContextColumnName=blank"] = o => o.ContextColumnName = " ",
        ["AnswerStartColumnName=null"] = o => o.AnswerStartColumnName = null!,
        ["ScoreColumnName=Answer"] = o => o.ScoreColumnName = "Answer",
    };

    public static TheoryData<string> Shared => new(SharedCases.Keys);
    public static TheoryData<string> QuestionAnswering => new(QuestionAnsweringCases.Keys);
    public static TheoryData<string> Classification => new(ClassificationCases.Keys);
    public static TheoryData<string> Ner => new(NerCases.Keys);

    private static string OptionName(string @case) => @case.Split('=', ' ')[0];

    [Theory]
    [MemberData(nameof(Shared))]
    public void ClassificationEstimatorRefusesAnInvalidSharedOption(string @case)
    {
        var options = new LoraTextClassificationOptions();
        SharedCases[@case](options);
        var ex = Assert.ThrowsAny<ArgumentException>(() => new MLContext().Transforms.LoraFineTune(options));
        Assert.Contains(OptionName(@case), ex.Message);
    }

    [Theory]
    [MemberData(nameof(Shared))]
    public void NerEstimatorRefusesAnInvalidSharedOption(string @case)
    {
        var options = new LoraNerOptions();
        SharedCases[@case](options);
        var ex = Assert.ThrowsAny<ArgumentException>(() => new MLContext().Transforms.LoraFineTune(options));
        Assert.Contains(OptionName(@case), ex.Message);
    }

    [Theory]
    [MemberData(nameof(Shared))]
    public void QuestionAnsweringEstimatorRefusesAnInvalidSharedOption(string @case)
    {
        var options = new LoraQuestionAnsweringOptions();
        SharedCases[@case](options);
        var ex = Assert.ThrowsAny<ArgumentException>(() => new MLContext().Transforms.LoraFineTune(options));
        Assert.Contains(OptionName(@case), ex.Message);
    }

    [Theory]
    [MemberData(nameof(QuestionAnswering))]
    public void QuestionAnsweringEstimatorRefusesAnInvalidOption(string @case)
    {
        var options = new LoraQuestionAnsweringOptions();
        QuestionAnsweringCases[@case](options);
        var ex = Assert.ThrowsAny<ArgumentException>(() => new MLContext().Transforms.LoraFineTune(options));
        Assert.Contains(OptionName(@case), ex.Message);
    }

    [Theory]
    [MemberData(nameof(Classification))]
    public void ClassificationEstimatorRefusesAnInvalidColumnOption(string @case)
    {
        var options = new LoraTextClassificationOptions();
        ClassificationCases[@case](options);
        var ex = Assert.ThrowsAny<ArgumentException>(() => new MLContext().Transforms.LoraFineTune(options));
        Assert.Contains(OptionName(@case), ex.Message);
    }

    [Theory]
    [MemberData(nameof(Ner))]
    public void NerEstimatorRefusesAnInvalidOption(string @case)
    {
        var options = new LoraNerOptions();
        NerCases[@case](options);
        var ex = Assert.ThrowsAny<ArgumentException>(() => new MLContext().Transforms.LoraFineTune(options));
        Assert.Contains(OptionName(@case), ex.Message);
    }

    [Fact]
    public void TheLimitsThemselvesAreAccepted()
    {
        var options = new LoraTextClassificationOptions
        {
            LearningRate = 1, WarmupFraction = 1, WeightDecay = 0, MaxGradNorm = 0, CheckpointEverySteps = 0, Epochs = 1,
            BatchSize = 1 << 20, ScoringBatchSize = 1, MaxSequenceLength = 3, EarlyStoppingPatience = 1, NumberOfThreads = 1,
        };
        Assert.NotNull(new MLContext().Transforms.LoraFineTune(options));
    }

    private static readonly Dictionary<string, Func<LoraOptions>> LoraCases = new()
    {
        ["Rank=0"] = () => new LoraOptions { Rank = 0 },
        ["Rank=-1"] = () => new LoraOptions { Rank = -1 },
        ["Rank=65537"] = () => new LoraOptions { Rank = LoraOptions.MaxRank + 1 },
        ["alpha=0"] = () => new LoraOptions { Alpha = 0 },
        ["alpha=-8"] = () => new LoraOptions { Alpha = -8 },
        ["alpha=NaN"] = () => new LoraOptions { Alpha = double.NaN },
        ["alpha=+inf"] = () => new LoraOptions { Alpha = double.PositiveInfinity },
        ["dropout=-0.1"] = () => new LoraOptions { Dropout = -0.1 },
        ["dropout=1"] = () => new LoraOptions { Dropout = 1 },
        ["dropout=NaN"] = () => new LoraOptions { Dropout = double.NaN },
        ["TargetModules=empty name"] = () => new LoraOptions { TargetModules = new[] { "query", "" } },
        ["TargetModules=null name"] = () => new LoraOptions { TargetModules = new[] { (string)null! } },
        ["ModulesToSave=blank name"] = () => new LoraOptions { ModulesToSave = new[] { " " } },
        ["LayersToTransform=-1"] = () => new LoraOptions { LayersToTransform = new[] { 0, -1 } },
        ["Init=9"] = () => new LoraOptions { Init = (LoraInit)9 },
        ["TargetModulesRegex=("] = () => new LoraOptions { TargetModulesRegex = "(" },
        ["TargetModules and TargetAllLinear"] = () => new LoraOptions { TargetModules = new[] { "query" }, TargetAllLinear = true },
    };

    public static TheoryData<string> Lora => new(LoraCases.Keys);

    [Theory]
    [MemberData(nameof(Lora))]
    public void LoraMethodRefusesInvalidLoraOptions(string @case)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => FineTuningMethod.Lora(LoraCases[@case]()));
        Assert.Contains(OptionName(@case).Replace("TargetModules and", "TargetModules"), ex.Message);
    }

    private static readonly Dictionary<string, Func<FineTuningMethod>> MethodCases = new()
    {
        ["LastLayers(0)"] = () => FineTuningMethod.LastLayers(0),
        ["LastLayers(-3)"] = () => FineTuningMethod.LastLayers(-3),
        ["LastLayers(int.MaxValue)"] = () => FineTuningMethod.LastLayers(int.MaxValue),
        ["Adapters(0)"] = () => FineTuningMethod.Adapters(0),
        ["Adapters(70000)"] = () => FineTuningMethod.Adapters(70_000),
        ["Adapters(activation 5)"] = () => FineTuningMethod.Adapters(64, (AdapterActivation)5),
        ["PrefixTuning(0)"] = () => FineTuningMethod.PrefixTuning(0),
        ["PrefixTuning(70000)"] = () => FineTuningMethod.PrefixTuning(70_000),
        ["PrefixTuning(hidden 0)"] = () => FineTuningMethod.PrefixTuning(20, reparameterize: true, hiddenSize: 0),
        ["PrefixTuning(hidden -1)"] = () => FineTuningMethod.PrefixTuning(20, reparameterize: true, hiddenSize: -1),
    };

    public static TheoryData<string> Methods => new(MethodCases.Keys);

    [Theory]
    [MemberData(nameof(Methods))]
    public void MethodFactoriesRefuseOutOfRangeParameters(string @case)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => MethodCases[@case]());
        Assert.False(string.IsNullOrEmpty(ex.ParamName));
    }

    public static TheoryData<string> TooLargeForTheModel => new() { "Adapters(1025)", "PrefixTuning(65)", "PrefixTuning(hidden 4097)", "LastLayers(3)", "Lora(rank 17)" };

    [Theory]
    [MemberData(nameof(TooLargeForTheModel))]
    public void MethodsRefuseSizesBeyondTheModelBeforeAllocating(string @case)
    {
        // The tiny classifier: hidden 16, 2 layers, 64 positions.
        FineTuningMethod method = @case switch
        {
            "Adapters(1025)" => FineTuningMethod.Adapters(1025),
            "PrefixTuning(65)" => FineTuningMethod.PrefixTuning(65),
            "PrefixTuning(hidden 4097)" => FineTuningMethod.PrefixTuning(4, reparameterize: true, hiddenSize: 4097),
            "LastLayers(3)" => FineTuningMethod.LastLayers(3),
            _ => FineTuningMethod.Lora(new LoraOptions { Rank = 17 }),
        };
        using var model = TinyModels.Classifier();
        var ex = Assert.ThrowsAny<ArgumentException>(() => method.Apply(model));
        Assert.Matches("hidden size|position|layers|min\\(in, out\\)", ex.Message);
    }
}
