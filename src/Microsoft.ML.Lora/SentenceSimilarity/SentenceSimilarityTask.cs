using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Onnx;
using Microsoft.ML.Lora.Onnx.Heads;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Training;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.SentenceSimilarity;

/// <summary>
/// Sentence similarity as a <see cref="FineTuningTask"/>: a cross-encoder reads both sentences at once ([CLS] a [SEP] b
/// [SEP]) and a regression head gives one Single, <c>Score</c>. The head is each architecture's Hugging Face
/// sequence-classification head with one output (PEFT task type SEQ_CLS, <c>num_labels = 1</c>, as Hugging Face's
/// regression models), trained with mean squared error on the standardised label (<see cref="LabelScale"/>); after training
/// its last layer is rescaled so that the model itself outputs scores on the labels' scale (in ML.NET and in a PEFT adapter
/// alike). On a mean-pooling sentence-transformer (the embedded all-MiniLM-L6-v2) the head reads the mean of the tokens
/// rather than the first token (<see cref="LoraSentenceSimilarityOptions.MeanPooling"/>).
/// </summary>
internal sealed class SentenceSimilarityTask : FineTuningTask<SimilarityExample>
{
    public const string TaskName = "sentence-similarity";

    private readonly bool? trainPooler, meanPooling;

    /// <summary>A task to fit as <paramref name="options"/> say.</summary>
    public SentenceSimilarityTask(LoraSentenceSimilarityOptions options)
        : this(new SentenceSimilarityColumns(options.Sentence1ColumnName, options.Sentence2ColumnName, options.ScoreColumnName, options.LabelColumnName), null)
        => (trainPooler, meanPooling) = (options.TrainPooler, options.MeanPooling);

    /// <summary>A trained task: its columns and the scale of its training labels (null for an imported adapter).</summary>
    public SentenceSimilarityTask(SentenceSimilarityColumns columns, LabelScale? labels)
    {
        Columns = columns;
        Labels = labels;
    }

    public SentenceSimilarityColumns Columns { get; }

    /// <summary>The training labels' range, mean and deviation (what training standardised by); null until read, and for an imported adapter.</summary>
    public LabelScale? Labels { get; private set; }

    public override string Name => TaskName;

    public override PeftTaskType PeftTaskType => PeftTaskType.SequenceClassification;

    public override TaskModel CreateHead(EncoderModel encoder, HeadSpec head)
        => new SequenceClassificationModel(encoder, head.Outputs, poolerIsHead: head.Pooler == PoolerUse.Trained, pooling: head.Pooling);

    public override HeadSpec HeadFromPeftAdapter(IReadOnlyDictionary<string, long[]> tensors, EncoderConfig config, string source)
    {
        string key = LastLayer(config) + ".bias";
        if (!tensors.TryGetValue(key, out var shape) || shape.Length != 1)
            throw new InvalidDataException($"{source}: no '{PeftTaskType.ToPeftKey(config.Names.Root, key)}' tensor; the adapter must save its regression head (modules_to_save).");
        if (shape[0] != 1)
            throw new InvalidDataException($"{source}: the adapter's head has {shape[0]} outputs; a similarity model has 1 (num_labels = 1). "
                + "A classifier's adapter imports with the text-classification estimator's FromPeftAdapter (LoraTextClassificationOptions).");
        return new HeadSpec(1, Pooler(config, trained: tensors.ContainsKey(config.Names.Root + ".pooler.dense.weight")));
    }

    public override IReadOnlyList<OutputSpec> Outputs => new[] { new OutputSpec(Columns.Score, OutputShape.Scalar, NumberDataViewType.Single) };

    public override DataViewType? CheckTrainingInput(SchemaShape input)
    {
        ColumnChecks.RequireShape(input, Columns.Label, "Label",
            c => c.ItemType == NumberDataViewType.Single && c.Kind == SchemaShape.Column.VectorKind.Scalar && !c.IsKey, "Single (the pair's similarity)");
        Columns.Text.Require(input);
        return null;
    }

    public override IRowScorer CreateScorer(DataViewSchema input, FineTunedModel model, ScoringContext context)
        => new SentenceSimilarityScorer(input, model, this, context);

    public override TaskExamples<SimilarityExample> ReadExamples(IDataView train, IDataView? validation, TaskFitContext context)
    {
        var trainRows = Read(train, "training data", "Label", context);
        if (trainRows.Count == 0) throw new InvalidOperationException("The training data has no rows.");
        var labels = LabelScale.Of(trainRows.Select(e => e.Label).ToList(), Columns.Label);
        Labels = labels;
        context.Channel.Info(FormattableString.Invariant(
            $"Training labels span [{labels.Minimum}, {labels.Maximum}], mean {labels.Mean:G4}, deviation {labels.StandardDeviation:G4}: the head learns them standardised."));
        var validationRows = validation is null ? null : Read(validation, "validation data", "Validation label", context);
        return new TaskExamples<SimilarityExample>(trainRows, validationRows);
    }

    public override HeadSpec TrainingHead(TaskFitContext context)
    {
        // all-MiniLM-L6-v2 was trained through the mean of its tokens: a head there learns in a fraction of the steps that a
        // head on [CLS] and the never-trained pooler needs (bench/RESULTS.md, "Sentence similarity").
        if (meanPooling ?? (context.Base.IsEmbedded && trainPooler != true)) return HeadSpec.MeanPooled(1);
        // Otherwise Hugging Face's head; a sentence-transformers model never trained its pooler: frozen, it starves the head (see TrainPooler).
        return new(1, Pooler(context.Config, trainPooler ?? context.Base.IsEmbedded));
    }

    public override ITrainingTask<SimilarityExample> TrainingTask(TaskFitContext context)
        => new SimilarityTrainingTask(context.Tokenizer.PadId, context.Config.TypeVocabSize > 1, Labels!.Value);

    public override void AddToFingerprint(SimilarityExample example, RunFingerprint fingerprint)
        => fingerprint.Add(example.Ids).Add(example.TypeIds).Add(example.Label);

    /// <summary>Rescales the head's last layer from the standardised target back to the labels' scale: score = mean + std · output.</summary>
    public override void AfterTraining(FineTunedModel model, TaskExamples<SimilarityExample> examples, TaskFitContext context)
    {
        var labels = Labels!.Value;
        string layer = LastLayer(context.Config);
        var parameters = model.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = no_grad();
        parameters[layer + ".weight"].mul_(labels.StandardDeviation);
        parameters[layer + ".bias"].mul_(labels.StandardDeviation).add_(labels.Mean);
    }

    /// <summary>The regression head is a one-output sequence head; its rescaling is in the weights, so the output is the score.</summary>
    public override OnnxTaskDescription OnnxDescription(HeadSpec head) => new(TaskName, SequenceClassificationOnnxHead.For(head.Pooling), null, new JsonObject
    {
        ["sentence_pair"] = true, ["label_minimum"] = Labels?.Minimum, ["label_maximum"] = Labels?.Maximum,
        ["pooling"] = head.Pooling == TokenPooling.Mean ? HeadSpec.MeanName : HeadSpec.FirstTokenName,   // inside the graph; informative
        ["postprocess"] = "Score = logits[0] (already on the labels' scale; not clipped to the label range)",
    });

    public override JsonObject SettingsToJson() => new()
    {
        ["sentence1"] = Columns.Sentence1, ["sentence2"] = Columns.Sentence2, ["score"] = Columns.Score, ["label"] = Columns.Label,
        ["label_minimum"] = Labels?.Minimum, ["label_maximum"] = Labels?.Maximum, ["label_mean"] = Labels?.Mean,
        ["label_standard_deviation"] = Labels?.StandardDeviation,
    };

    /// <summary>Reads what <see cref="SettingsToJson"/> wrote.</summary>
    public static SentenceSimilarityTask FromJson(JsonObject s, string source)
    {
        var columns = new SentenceSimilarityColumns(JsonSettings.Required<string>(s, "sentence1", source), JsonSettings.Required<string>(s, "sentence2", source),
            JsonSettings.Required<string>(s, "score", source), JsonSettings.Required<string>(s, "label", source));
        LabelScale? labels = s["label_minimum"] is null ? null
            : new LabelScale(JsonSettings.Required<float>(s, "label_minimum", source), JsonSettings.Required<float>(s, "label_maximum", source),
                JsonSettings.Required<float>(s, "label_mean", source), JsonSettings.Required<float>(s, "label_standard_deviation", source));
        return new SentenceSimilarityTask(columns, labels);
    }

    private List<SimilarityExample> Read(IDataView data, string what, string labelRole, TaskFitContext context)
    {
        SentenceSimilarityRows.RequireLabel(data.Schema, Columns.Label, labelRole);
        Columns.Text.Require(data.Schema);
        return SentenceSimilarityRows.ReadLabelled(data, Columns, context.Tokenizer, context.MaxSequenceLength, what, context.Channel);
    }

    /// <summary>The head's last Linear, which produces the score: <c>classifier</c>, or RoBERTa's <c>classifier.out_proj</c>.</summary>
    private static string LastLayer(EncoderConfig config) => config.Architecture == EncoderArchitecture.Roberta ? "classifier.out_proj" : "classifier";

    /// <summary>BERT's sequence head reads the pooler (trained or as the checkpoint has it); RoBERTa's and DistilBERT's do not.</summary>
    private static PoolerUse Pooler(EncoderConfig config, bool trained)
        => config.Architecture != EncoderArchitecture.Bert ? PoolerUse.None : trained ? PoolerUse.Trained : PoolerUse.Frozen;
}
