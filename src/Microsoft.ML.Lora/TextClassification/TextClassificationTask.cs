using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Calibration;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Onnx;
using Microsoft.ML.Lora.Onnx.Heads;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>
/// Text classification as a <see cref="FineTuningTask"/>: a text (or text pair) → one of the classes of a key label column.
/// Head: each architecture's Hugging Face sequence-classification head (BERT's reads the pooler, frozen or trained); PEFT
/// task type SEQ_CLS; outputs Score (probabilities, softmax with the fitted temperature) and PredictedLabel (the label's key).
/// </summary>
internal sealed class TextClassificationTask : FineTuningTask<ClassificationExample>
{
    public const string TaskName = "text-classification";

    private readonly bool? trainPooler;
    private readonly bool calibrate;
    private uint classes;   // Fit: the label key count

    /// <summary>A task to fit as <paramref name="options"/> say.</summary>
    public TextClassificationTask(LoraTextClassificationOptions options)
        : this(ColumnsOf(options), null, 1f)
    {
        trainPooler = options.TrainPooler;
        calibrate = options.CalibrateScores;
    }

    /// <summary>A trained task: its columns, the label values in key order (null = none) and the softmax temperature.</summary>
    public TextClassificationTask(TextClassificationColumns columns, KeyValueNames? labels, float temperature)
    {
        Columns = columns;
        Labels = labels;
        Temperature = temperature;
    }

    /// <summary>A task to import a trained model into, with the columns of <paramref name="options"/> and the given class names (null = from the files).</summary>
    public static TextClassificationTask ForImport(LoraTextClassificationOptions options, IReadOnlyList<string>? labelNames)
    {
        if (labelNames?.Any(n => n is null) == true) throw new ArgumentException("labelNames contains a null name.", nameof(labelNames));
        return new(ColumnsOf(options), labelNames is null ? null : new KeyValueNames("Text", labelNames.ToArray()), 1f);
    }

    private static TextClassificationColumns ColumnsOf(LoraTextClassificationOptions options)
        => new(options.Sentence1ColumnName, options.Sentence2ColumnName, options.ScoreColumnName, options.PredictedLabelColumnName, options.LabelColumnName);

    public TextClassificationColumns Columns { get; }

    /// <summary>The values behind the label keys, kept so that PredictedLabel maps back to them.</summary>
    public KeyValueNames? Labels { get; private set; }

    /// <summary>Divides the logits before softmax (1 = uncalibrated).</summary>
    public float Temperature { get; private set; }

    public override string Name => TaskName;

    public override PeftTaskType PeftTaskType => PeftTaskType.SequenceClassification;

    public override TaskModel CreateHead(EncoderModel encoder, HeadSpec head)
        => new SequenceClassificationModel(encoder, head.Outputs, poolerIsHead: head.Pooler == PoolerUse.Trained, pooling: head.Pooling);

    // Format 1 built BERT's pooler for every text classifier.
    public override HeadSpec Format1Head(int outputs, bool poolerTrained, EncoderConfig config) => new(outputs, Pooler(config, poolerTrained));

    public override HeadSpec HeadFromPeftAdapter(IReadOnlyDictionary<string, long[]> tensors, EncoderConfig config, string source)
    {
        // The classifier's last bias holds one value per class: classifier.bias, or RoBERTa's classifier.out_proj.bias.
        string key = config.Architecture == EncoderArchitecture.Roberta ? "classifier.out_proj.bias" : "classifier.bias";
        if (!tensors.TryGetValue(key, out var shape) || shape.Length != 1)
            throw new InvalidDataException($"{source}: no '{PeftTaskType.ToPeftKey(config.Names.Root, key)}' tensor; the adapter must save its classification head (modules_to_save).");
        if (shape[0] < 1 || shape[0] > int.MaxValue)
            throw new InvalidDataException($"{source}: tensor '{PeftTaskType.ToPeftKey(config.Names.Root, key)}' has shape [{shape[0]}]; expected one value per class.");
        return new HeadSpec((int)shape[0], Pooler(config, trained: tensors.ContainsKey(config.Names.Root + ".pooler.dense.weight")));
    }

    public override IReadOnlyList<string>? OutputNames => Labels?.Values;

    public override void CompleteOutputNames(HeadSpec head, IReadOnlyList<string>? fileNames, string source)
    {
        if (Labels is not null)
        {
            if (Labels.Values.Count != head.Outputs)
                throw new ArgumentException($"The model's head has {head.Outputs} classes but {Labels.Values.Count} label names were given.", "labelNames");
            return;
        }
        if (fileNames is null) return;
        if (fileNames.Count != head.Outputs)
            throw new InvalidDataException($"{source}: \"id2label\" names {fileNames.Count} classes, the model's head has {head.Outputs}.");
        Labels = new KeyValueNames("Text", fileNames.ToArray());
    }

    public override IReadOnlyList<OutputSpec> Outputs => new[]
    {
        new OutputSpec(Columns.Score, OutputShape.Vector, NumberDataViewType.Single, LabelNames: true),
        new OutputSpec(Columns.PredictedLabel, OutputShape.Scalar, NumberDataViewType.UInt32, IsKey: true, LabelNames: true),
    };

    public override DataViewType? CheckTrainingInput(SchemaShape input)
    {
        var label = ColumnChecks.RequireShape(input, Columns.Label, "Label", c => c.IsKey && c.Kind == SchemaShape.Column.VectorKind.Scalar, "a key type");
        Columns.Text.Require(input);
        return label.Annotations.TryFindColumn(AnnotationUtils.Kinds.KeyValues, out var values) ? values.ItemType : null;
    }

    public override IRowScorer CreateScorer(DataViewSchema input, FineTunedModel model, ScoringContext context)
        => new TextClassificationScorer(input, model, this, context);

    public override TaskExamples<ClassificationExample> ReadExamples(IDataView train, IDataView? validation, TaskFitContext context)
    {
        var (labelColumn, labelType) = RequireColumns(train.Schema, "Label");
        classes = (uint)labelType.Count;
        Labels = KeyValueNames.FromColumn(labelColumn);
        var trainRows = Read(train, "training data", context);
        if (trainRows.Count == 0) throw new InvalidOperationException("The training data has no rows.");
        DataChecks.WarnAboutEmptyClasses(trainRows.Select(e => e.Label), (int)classes, Labels?.Values, "training data", context.Channel);
        List<ClassificationExample>? validationRows = null;
        if (validation is not null)
        {
            var (_, valType) = RequireColumns(validation.Schema, "Validation label");
            if (valType.Count != classes)
                throw new ArgumentOutOfRangeException(Columns.Label, $"Validation label column '{Columns.Label}' has {valType.Count} classes, the training data {classes}: map both with the same MapValueToKey.");
            validationRows = Read(validation, "validation data", context);
        }
        return new TaskExamples<ClassificationExample>(trainRows, validationRows);
    }

    public override HeadSpec TrainingHead(TaskFitContext context)
        // A sentence-transformers model never trained its pooler: frozen, it starves the classifier (see TrainPooler).
        => new((int)classes, Pooler(context.Config, trainPooler ?? context.Base.IsEmbedded));

    public override ITrainingTask<ClassificationExample> TrainingTask(TaskFitContext context)
        => new TextClassificationTrainingTask(context.Tokenizer.PadId, context.Config.TypeVocabSize > 1);

    public override void AddToFingerprint(ClassificationExample example, RunFingerprint fingerprint)
        => fingerprint.Add(example.Ids).Add(example.TypeIds).Add(example.Label);

    public override void AddLabelsToFingerprint(RunFingerprint fingerprint)
    {
        fingerprint.Add(Labels?.ItemTypeName);
        foreach (var name in Labels?.Values ?? Array.Empty<string>()) fingerprint.Add(name);
    }

    public override void AfterTraining(FineTunedModel model, TaskExamples<ClassificationExample> examples, TaskFitContext context)
    {
        if (!calibrate || examples.Validation is not { Count: > 0 } validation) return;
        var logits = TextClassificationScoring.Logits(model, validation, context.Options.ScoringBatchSize);
        var fit = TemperatureScaling.FitCrossValidated(logits, validation.Select(e => e.Label).ToList());
        Temperature = fit.Temperature;
        context.Channel.Info(fit.Reason);
    }

    /// <summary>Labelled rows of <paramref name="data"/> (for calibration), tokenized as the model's input; the label key count must be the model's.</summary>
    public List<ClassificationExample> ReadLabelled(IDataView data, FineTunedModel model, IChannel ch)
    {
        var (_, keyType) = RequireColumns(data.Schema, "Label");
        if (keyType.Count != (ulong)model.Head.Outputs)
            throw new ArgumentOutOfRangeException(Columns.Label, $"Label column '{Columns.Label}' has {keyType.Count} classes; the model has {model.Head.Outputs}.");
        var rows = TextClassificationRows.ReadLabelled(data, Columns, (uint)keyType.Count, model.Tokenizer, model.MaxSequenceLength, "data", ch);
        return rows.Count > 0 ? rows : throw new InvalidOperationException("The data has no rows.");
    }

    /// <summary>A copy whose scores use temperature <paramref name="temperature"/>.</summary>
    public TextClassificationTask WithTemperature(float temperature) => new(Columns, Labels, temperature);

    public override JsonObject SettingsToJson()
    {
        var settings = new JsonObject
        {
            ["sentence1"] = Columns.Sentence1, ["sentence2"] = Columns.Sentence2, ["score"] = Columns.Score,
            ["predicted_label"] = Columns.PredictedLabel, ["label"] = Columns.Label, ["temperature"] = Temperature,
        };
        Labels?.WriteTo(settings, "label");
        return settings;
    }

    public override OnnxTaskDescription OnnxDescription(HeadSpec head) => new(TaskName, SequenceClassificationOnnxHead.For(head.Pooling), Labels?.Values, new JsonObject
    {
        ["temperature"] = Temperature, ["sentence_pair"] = Columns.Sentence2 is not null,
        ["postprocess"] = "Score = softmax(logits / temperature); PredictedLabel = labels[argmax(logits)]",
    });

    /// <summary>Reads what <see cref="SettingsToJson"/> wrote (format 1 wrote the same keys).</summary>
    public static TextClassificationTask FromJson(JsonObject s, string source) => new(
        new TextClassificationColumns(JsonSettings.Required<string>(s, "sentence1", source), JsonSettings.Optional(s, "sentence2"),
            JsonSettings.Required<string>(s, "score", source), JsonSettings.Required<string>(s, "predicted_label", source),
            JsonSettings.Required<string>(s, "label", source)),
        KeyValueNames.ReadFrom(s, "label"), JsonSettings.Required<float>(s, "temperature", source));

    private List<ClassificationExample> Read(IDataView data, string what, TaskFitContext context)
        => TextClassificationRows.ReadLabelled(data, Columns, classes, context.Tokenizer, context.MaxSequenceLength, what, context.Channel);

    private (DataViewSchema.Column Label, KeyDataViewType Type) RequireColumns(DataViewSchema schema, string labelRole)
    {
        var label = ColumnChecks.RequireKey(schema, Columns.Label, labelRole);
        Columns.Text.Require(schema);
        return label;
    }

    /// <summary>BERT's sequence head reads the pooler (trained or as the checkpoint has it); RoBERTa's and DistilBERT's do not.</summary>
    private static PoolerUse Pooler(EncoderConfig config, bool trained)
        => config.Architecture != EncoderArchitecture.Bert ? PoolerUse.None : trained ? PoolerUse.Trained : PoolerUse.Frozen;
}
