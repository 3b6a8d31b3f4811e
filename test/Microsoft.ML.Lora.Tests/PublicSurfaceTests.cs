using Xunit;

namespace Microsoft.ML.Lora.Tests;

/// <summary>
/// The library's public surface, type by type. Adding or removing a public type fails this test until the list below is
/// updated: a deliberate API change, reviewed as one. Plumbing stays internal (tests and bench see it through InternalsVisibleTo).
/// </summary>
public class PublicSurfaceTests
{
    private static readonly string[] Expected =
    {
        "Microsoft.ML.AtomicModelSaving",
        "Microsoft.ML.LoraCatalog",
        "Microsoft.ML.Lora.AdapterActivation",
        "Microsoft.ML.Lora.AnswerSpan",
        "Microsoft.ML.Lora.CalibrationMetrics",
        "Microsoft.ML.Lora.CalibrationReport",
        "Microsoft.ML.Lora.ComputeDevice",
        "Microsoft.ML.Lora.ConcurrentPredictor`2",
        "Microsoft.ML.Lora.ConllReader",
        "Microsoft.ML.Lora.ConllSentence",
        "Microsoft.ML.Lora.EntitySpan",
        "Microsoft.ML.Lora.EntityTypeMetrics",
        "Microsoft.ML.Lora.EpochSummary",
        "Microsoft.ML.Lora.FineTunedTransformer",
        "Microsoft.ML.Lora.FineTuningMethod",
        "Microsoft.ML.Lora.FineTuningOptions",
        "Microsoft.ML.Lora.GradientCheckpointing",
        "Microsoft.ML.Lora.LoraInit",
        "Microsoft.ML.Lora.LoraNerEstimator",
        "Microsoft.ML.Lora.LoraNerOptions",
        "Microsoft.ML.Lora.LoraNerTransformer",
        "Microsoft.ML.Lora.LoraOptions",
        "Microsoft.ML.Lora.LoraQuestionAnsweringEstimator",
        "Microsoft.ML.Lora.LoraQuestionAnsweringOptions",
        "Microsoft.ML.Lora.LoraQuestionAnsweringTransformer",
        "Microsoft.ML.Lora.LoraSentenceEmbeddingEstimator",
        "Microsoft.ML.Lora.LoraSentenceEmbeddingOptions",
        "Microsoft.ML.Lora.LoraSentenceEmbeddingTransformer",
        "Microsoft.ML.Lora.LoraSentenceSimilarityEstimator",
        "Microsoft.ML.Lora.LoraSentenceSimilarityOptions",
        "Microsoft.ML.Lora.LoraSentenceSimilarityTransformer",
        "Microsoft.ML.Lora.LoraTextClassificationEstimator",
        "Microsoft.ML.Lora.LoraTextClassificationOptions",
        "Microsoft.ML.Lora.LoraTextClassificationTransformer",
        "Microsoft.ML.Lora.NerMetrics",
        "Microsoft.ML.Lora.Precision",
        "Microsoft.ML.Lora.PretrainedModel",
        "Microsoft.ML.Lora.QuestionAnsweringMetrics",
        "Microsoft.ML.Lora.ReliabilityBin",
        "Microsoft.ML.Lora.SentenceEmbeddingLoss",
        "Microsoft.ML.Lora.SimilarityMetrics",
        "Microsoft.ML.Lora.SquadQuestion",
        "Microsoft.ML.Lora.SquadReader",
        "Microsoft.ML.Lora.TagScheme",
        "Microsoft.ML.Lora.TorchNativeLibrary",
        "Microsoft.ML.Lora.TrainableParameterReport",
        "Microsoft.ML.Lora.TrainingHistory",
        "Microsoft.ML.Lora.TrainingPhase",
        "Microsoft.ML.Lora.TrainingProgress",
    };

    [Fact]
    public void PublicTypesAreExactlyTheListedOnes()
    {
        var actual = typeof(FineTuningOptions).Assembly.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal).ToArray();
        var added = actual.Except(Expected).ToArray();
        var removed = Expected.Except(actual).ToArray();
        Assert.True(added.Length == 0 && removed.Length == 0,
            $"Public types changed. Added: [{string.Join(", ", added)}]. Removed: [{string.Join(", ", removed)}]. Update the list if the change is intended.");
    }

    [Fact]
    public void PublicTypesLiveInTwoNamespaces()
    {
        // A user's pipeline needs `using Microsoft.ML;` (the catalog extensions) and `using Microsoft.ML.Lora;` (everything else).
        var namespaces = typeof(FineTuningOptions).Assembly.GetExportedTypes().Select(t => t.Namespace).Distinct().Order().ToArray();
        Assert.Equal(new[] { "Microsoft.ML", "Microsoft.ML.Lora" }, namespaces);
    }
}
