using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Onnx;
using Microsoft.ML.Lora.Onnx.Heads;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// Named-entity recognition (token classification) as a <see cref="FineTuningTask"/>: words → one IOB2 tag per word.
/// Examples are windows of whole words (<see cref="SentenceWindows"/>); head: dropout → <c>classifier</c> on every token, no
/// pooler; PEFT task type TOKEN_CLS; outputs PredictedLabel (tag keys per word) and Confidence.
/// </summary>
internal sealed class NerTask : FineTuningTask<NerWindow>
{
    public const string TaskName = "token-classification";

    private readonly LoraNerOptions? options;   // Fit only
    private NerTagSet? tagSet;                   // from the training data during Fit

    /// <summary>A task to fit as <paramref name="options"/> say.</summary>
    public NerTask(LoraNerOptions options)
        : this(new NerColumns(options.SentenceColumnName, options.LabelColumnName, options.PredictedLabelColumnName, options.ConfidenceColumnName),
            null, options.LabelScheme, options.WindowOverlap ?? -1)
        => this.options = options;

    /// <summary>A trained task: columns, its tags (in head output order), the scheme of its training labels, the window overlap.</summary>
    public NerTask(NerColumns columns, NerTagSet? tags, TagScheme labelScheme, int windowOverlap)
    {
        Columns = columns;
        tagSet = tags;
        LabelScheme = labelScheme;
        WindowOverlap = windowOverlap;
    }

    /// <summary>A task to import a trained tagger into, with the options' columns and scheme and the given tags (null = from the files).</summary>
    /// <exception cref="ArgumentException">The tags are not a valid IOB2 tag set.</exception>
    public static NerTask ForImport(LoraNerOptions options, IReadOnlyList<string>? tags)
    {
        NerTagSet? tagSet = null;
        if (tags is not null)
        {
            if (tags.Any(t => t is null)) throw new ArgumentException("tags contains a null tag.", nameof(tags));
            try { tagSet = new NerTagSet(tags); }
            catch (InvalidDataException e) { throw new ArgumentException(e.Message, nameof(tags), e); }
        }
        return new NerTask(new NerColumns(options.SentenceColumnName, options.LabelColumnName, options.PredictedLabelColumnName, options.ConfidenceColumnName),
            tagSet, options.LabelScheme, options.WindowOverlap ?? -1)
        { requestedOverlap = options.WindowOverlap };
    }

    private int? requestedOverlap;

    /// <summary>Once an imported model's maximum length is known: the window overlap the options asked for, or half a window.</summary>
    public void ResolveWindowOverlap(int maxSequenceLength) => WindowOverlap = SentenceWindows.Overlap(requestedOverlap, maxSequenceLength);

    public NerColumns Columns { get; }

    /// <summary>The IOB2 tags the model predicts (known once the training data is read).</summary>
    public NerTagSet Tags => tagSet ?? throw new InvalidOperationException("The tag set is known once the training data is read.");

    public TagScheme LabelScheme { get; }

    /// <summary>Sub-tokens shared by consecutive windows of a long sentence.</summary>
    public int WindowOverlap { get; private set; }

    public override string Name => TaskName;

    public override PeftTaskType PeftTaskType => PeftTaskType.TokenClassification;

    public override TaskModel CreateHead(EncoderModel encoder, HeadSpec head)
        => head.Outputs == Tags.Count ? new TokenClassificationModel(encoder, head.Outputs)
            : throw new InvalidDataException($"{Tags.Count} tags for a head of {head.Outputs} outputs.");

    public override IReadOnlyList<OutputSpec> Outputs => new[]
    {
        new OutputSpec(Columns.PredictedLabel, OutputShape.VariableVector, NumberDataViewType.UInt32, IsKey: true, LabelNames: true),
        new OutputSpec(Columns.Confidence, OutputShape.VariableVector, NumberDataViewType.Single),
    };

    public override DataViewType? CheckTrainingInput(SchemaShape input)
    {
        ColumnChecks.RequireShape(input, Columns.Sentence, "Sentence", NerColumnTypes.IsWords, NerColumnTypes.WordsExpected);
        ColumnChecks.RequireShape(input, Columns.Label, "Label", NerColumnTypes.IsTags, NerColumnTypes.TagsExpected);
        return TextDataViewType.Instance;   // the tags
    }

    public override IRowScorer CreateScorer(DataViewSchema input, FineTunedModel model, ScoringContext context)
        => new NerScorer(input, model, this, context);

    public override TaskExamples<NerWindow> ReadExamples(IDataView train, IDataView? validation, TaskFitContext context)
    {
        var o = options ?? throw new InvalidOperationException("This NER task was not made for training.");
        var ch = context.Channel;
        NerColumnTypes.RequireWords(train.Schema, Columns.Sentence, "Sentence");
        var (_, keyNames) = NerColumnTypes.RequireTags(train.Schema, Columns.Label, "Label");
        if (LabelScheme == TagScheme.Iob2 && keyNames?.FirstOrDefault(k => !IobTag.TryParse(k, TagScheme.Iob2, out _)) is { } bad)
            throw new ArgumentOutOfRangeException(Columns.Label, $"Label column '{Columns.Label}' has key value '{bad}', which is not an IOB2 tag ('O', 'B-<type>' or 'I-<type>'); set LabelScheme to the labels' scheme.");

        WindowOverlap = SentenceWindows.Overlap(o.WindowOverlap, context.MaxSequenceLength);
        var reader = new NerDataReader(o);
        var trainSentences = reader.Read(train, "training data", ch);
        if (trainSentences.All(s => s.Words.Length == 0)) throw new InvalidOperationException("The training data has no rows with words.");
        var validationSentences = validation is null ? null : reader.Read(validation, "validation data", ch);
        tagSet = NerTagSet.Build(LabelScheme == TagScheme.Iob2 && keyNames is not null ? keyNames : Array.Empty<string>(),
            trainSentences.Concat(validationSentences ?? new()).Select(s => s.Tags));
        ch.Info($"{Tags.Count} tags: {string.Join(" ", Tags.Tags)}");
        return new TaskExamples<NerWindow>(Windows(trainSentences, "training data", context),
            validationSentences is null ? null : Windows(validationSentences, "validation data", context));
    }

    public override HeadSpec TrainingHead(TaskFitContext context) => new(Tags.Count, PoolerUse.None);

    public override HeadSpec HeadFromPeftAdapter(IReadOnlyDictionary<string, long[]> tensors, EncoderConfig config, string source)
    {
        if (!tensors.TryGetValue("classifier.bias", out var shape) || shape.Length != 1)
            throw new InvalidDataException($"{source}: no '{PeftTaskType.ToPeftKey(config.Names.Root, "classifier.bias")}' tensor; the adapter must save its token classification head (modules_to_save).");
        if (shape[0] < 1 || shape[0] > int.MaxValue)
            throw new InvalidDataException($"{source}: tensor 'classifier.bias' has shape [{shape[0]}]; expected one value per tag.");
        return new HeadSpec((int)shape[0], PoolerUse.None);
    }

    public override IReadOnlyList<string>? OutputNames => tagSet?.Tags;

    public override void CompleteOutputNames(HeadSpec head, IReadOnlyList<string>? fileNames, string source)
    {
        if (tagSet is not null)
        {
            if (tagSet.Count != head.Outputs)
                throw new ArgumentException($"The model's head has {head.Outputs} tags but {tagSet.Count} tags were given.", "tags");
            return;
        }
        if (fileNames is null)
            throw new InvalidDataException($"{source}: no \"id2label\" naming the {head.Outputs} tags of the model's head (and no tags were given): pass the tags, in the head's order, to FromPeftAdapter.");
        if (fileNames.Count != head.Outputs)
            throw new InvalidDataException($"{source}: \"id2label\" names {fileNames.Count} tags, the model's head has {head.Outputs}.");
        try { tagSet = new NerTagSet(fileNames); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{source}: \"id2label\": {e.Message} Pass the tags in IOB2 to FromPeftAdapter.", e); }
    }

    public override ITrainingTask<NerWindow> TrainingTask(TaskFitContext context) => new NerTrainingTask(context.Tokenizer.PadId, Tags);

    public override void AddLabelsToFingerprint(RunFingerprint fingerprint)
    {
        foreach (var tag in Tags.Tags) fingerprint.Add(tag);
    }

    public override void AddToFingerprint(NerWindow example, RunFingerprint fingerprint)
        => fingerprint.Add(example.Sentence).Add(example.Ids).Add(example.Labels).Add(example.WordPositions);

    public override JsonObject SettingsToJson() => new()
    {
        ["sentence"] = Columns.Sentence, ["label"] = Columns.Label, ["predicted_label"] = Columns.PredictedLabel,
        ["confidence"] = Columns.Confidence, ["tags"] = new JsonArray(Tags.Tags.Select(t => (JsonNode?)t).ToArray()),
        ["label_scheme"] = LabelScheme.ToString(), ["window_overlap"] = WindowOverlap,
    };

    public override OnnxTaskDescription OnnxDescription(HeadSpec head) => new(TaskName, TokenClassificationOnnxHead.Instance, Tags.Tags, new JsonObject
    {
        ["tag_scheme"] = "IOB2", ["window_overlap"] = WindowOverlap,
        ["encoding"] = "the words' word pieces (a word that yields none is one [UNK]) between [CLS] and [SEP]; token_type_ids all 0; "
            + "a sentence longer than max_sequence_length is cut into windows of whole words sharing about window_overlap word pieces",
        ["postprocess"] = "a word's tag = labels[argmax(logits at its first word piece)], its confidence the softmax maximum there; "
            + "in windowed sentences from the window where the word is most central; then an I-X after O or another type becomes B-X",
    });

    /// <summary>Reads what <see cref="SettingsToJson"/> wrote (format 1 wrote the same keys).</summary>
    public static NerTask FromJson(JsonObject s, string source)
    {
        var tags = s["tags"] is JsonArray a ? new NerTagSet(a.Select(t => t!.GetValue<string>()).ToArray())
            : throw new InvalidDataException($"{source}: task setting 'tags' is missing.");
        string scheme = JsonSettings.Required<string>(s, "label_scheme", source);
        return new NerTask(
            new NerColumns(JsonSettings.Required<string>(s, "sentence", source), JsonSettings.Required<string>(s, "label", source),
                JsonSettings.Required<string>(s, "predicted_label", source), JsonSettings.Required<string>(s, "confidence", source)),
            tags, Enum.TryParse<TagScheme>(scheme, out var parsed) ? parsed : throw new InvalidDataException($"{source}: label_scheme '{scheme}' is not a TagScheme."),
            JsonSettings.Required<int>(s, "window_overlap", source));
    }

    private List<NerWindow> Windows(List<LabelledSentence> sentences, string what, TaskFitContext context)
    {
        int maxLength = context.MaxSequenceLength;
        var windows = SentenceWindows.SplitAll(context.Tokenizer, sentences.Select(s => s.Words).ToList(),
            sentences.Select(s => s.Tags.Select(Tags.IndexOf).ToArray()).ToList(), maxLength, WindowOverlap, out int windowed, out int clipped);
        if (windowed > 0)
            context.Channel.Info($"{windowed} of {sentences.Count} sentence(s) of the {what} exceed {maxLength} tokens: cut into overlapping windows ({windows.Count} windows in all, overlap {WindowOverlap}).");
        if (clipped > 0)
            context.Channel.Warning($"{clipped} word(s) of the {what} have more than {maxLength - 2} sub-tokens; each keeps its first ones.");
        return windows;
    }
}
