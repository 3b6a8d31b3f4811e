using Microsoft.ML.Data;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// Fine-tunes a pretrained encoder (LoRA by default) to tag the words of a sentence with named entities (token
/// classification). Input: a sentence (String, split on whitespace) or its words (vector of String), and one tag per word
/// (vector of String, or vector of key). Output: <c>PredictedLabel</c> (one IOB2 tag key per word) and <c>Confidence</c>.
/// </summary>
/// <remarks>
/// <para>Each word's tag sits on its first sub-token; its other sub-tokens and the special tokens are left out of the loss.</para>
/// <para>Tags are trained and predicted in IOB2; labels in IO, IOB1 or BIOES (<see cref="LoraNerOptions.LabelScheme"/>) are
/// converted first. The model's tags are <c>O</c> and <c>B-X</c>, <c>I-X</c> of every type in the training and validation
/// labels; with a key label column in IOB2 its key values come first, in key order, so predicted keys equal label keys.</para>
/// <para>Sentences longer than <see cref="LoraFineTuningOptions.MaxSequenceLength"/> are cut into overlapping windows of whole
/// words (<see cref="LoraNerOptions.WindowOverlap"/>); every window is trained on, and every word is predicted from the
/// window where it is most central. No word is dropped.</para>
/// <para>With a validation set the per-epoch metric is entity-level micro F1 (conlleval), which also picks the epoch kept.</para>
/// </remarks>
public sealed class LoraNerEstimator : IEstimator<LoraNerTransformer>
{
    private readonly IHostEnvironment env;
    private readonly LoraNerOptions options;

    /// <summary>Creates the estimator; reach it through <c>mlContext.Transforms.LoraFineTune(options)</c> or the multiclass catalog.</summary>
    public LoraNerEstimator(MLContext mlContext, LoraNerOptions options)
        : this((IHostEnvironment)(mlContext ?? throw new ArgumentNullException(nameof(mlContext))), options) { }

    internal LoraNerEstimator(IHostEnvironment env, LoraNerOptions options)
    {
        this.env = env;
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    /// <summary>Trains on <paramref name="input"/> and returns the fine-tuned tagger.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it).</exception>
    /// <exception cref="InvalidDataException">A row's tag count differs from its word count, or a tag is invalid (the message names the row).</exception>
    public LoraNerTransformer Fit(IDataView input)
    {
        var host = env.Register("LoraNer");
        using var ch = host.Start("Fit");
        DataChecks.RequireRows(input, "training data");
        if (options.ValidationSet is { } validationSet) DataChecks.RequireRows(validationSet, "validation set");
        NerColumnTypes.RequireWords(input.Schema, options.SentenceColumnName, "Sentence");
        var (_, keyNames) = NerColumnTypes.RequireTags(input.Schema, options.LabelColumnName, "Label");
        if (options.LabelScheme == TagScheme.Iob2 && keyNames?.FirstOrDefault(k => !IobTag.TryParse(k, TagScheme.Iob2, out _)) is { } bad)
            throw new ArgumentOutOfRangeException(options.LabelColumnName, $"Label column '{options.LabelColumnName}' has key value '{bad}', which is not an IOB2 tag ('O', 'B-<type>' or 'I-<type>'); set LabelScheme to the labels' scheme.");

        var session = new FineTuningSession(env, options, ch);
        int overlap = SentenceWindows.Overlap(options.WindowOverlap, session.MaxSequenceLength);
        var reader = new NerDataReader(options);
        var train = reader.Read(input, "training data", ch);
        if (train.All(s => s.Words.Length == 0)) throw new InvalidOperationException("The training data has no rows with words.");
        var validation = options.ValidationSet is { } val ? reader.Read(val, "validation data", ch) : null;
        var tags = NerTagSet.Build(options.LabelScheme == TagScheme.Iob2 && keyNames is not null ? keyNames : Array.Empty<string>(),
            train.Concat(validation ?? new()).Select(s => s.Tags));
        ch.Info($"{tags.Count} tags: {string.Join(" ", tags.Tags)}");

        var trainWindows = Windows(session, tags, train, overlap, "training data", ch);
        var validationWindows = validation is null ? null : Windows(session, tags, validation, overlap, "validation data", ch);
        var model = session.BuildModel((enc, _) => new TokenClassificationModel(enc, tags.Count), needsPooler: false);
        var task = new NerTrainingTask(session.Tokenizer.PadId, tags);
        var fingerprint = $"ner|{string.Join(",", tags.Tags)}|{overlap}|{trainWindows.Count}|{trainWindows.Sum(w => w.Ids.Sum(x => (long)x) + w.Labels!.Sum(x => (long)x))}";
        var (fine, history) = session.Train(model, task, trainWindows, validationWindows, fingerprint);
        var columns = new NerColumns(options.SentenceColumnName, options.LabelColumnName, options.PredictedLabelColumnName, options.ConfidenceColumnName);
        return new LoraNerTransformer(env, fine, columns, tags, options.LabelScheme, overlap, options.ScoringBatchSize, history);
    }

    private static List<NerWindow> Windows(FineTuningSession session, NerTagSet tags, List<LabelledSentence> sentences, int overlap, string what, IChannel ch)
    {
        var windows = SentenceWindows.SplitAll(session.Tokenizer, sentences.Select(s => s.Words).ToList(),
            sentences.Select(s => s.Tags.Select(tags.IndexOf).ToArray()).ToList(), session.MaxSequenceLength, overlap, out int windowed, out int clipped);
        if (windowed > 0)
            ch.Info($"{windowed} of {sentences.Count} sentence(s) of the {what} exceed {session.MaxSequenceLength} tokens: cut into overlapping windows ({windows.Count} windows in all, overlap {overlap}).");
        if (clipped > 0)
            ch.Warning($"{clipped} word(s) of the {what} have more than {session.MaxSequenceLength - 2} sub-tokens; each keeps its first ones.");
        return windows;
    }

    /// <summary>The schema after the transformer: the input columns plus PredictedLabel (key vector) and Confidence.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ColumnChecks.RequireShape(inputSchema, options.SentenceColumnName, "Sentence", NerColumnTypes.IsWords, NerColumnTypes.WordsExpected);
        ColumnChecks.RequireShape(inputSchema, options.LabelColumnName, "Label", NerColumnTypes.IsTags, NerColumnTypes.TagsExpected);
        var result = inputSchema.ToDictionary(c => c.Name);
        var keyValues = new SchemaShape(new[] { new SchemaShape.Column(AnnotationUtils.Kinds.KeyValues, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false) });
        result[options.PredictedLabelColumnName] = new SchemaShape.Column(options.PredictedLabelColumnName, SchemaShape.Column.VectorKind.VariableVector,
            NumberDataViewType.UInt32, true, keyValues);
        result[options.ConfidenceColumnName] = new SchemaShape.Column(options.ConfidenceColumnName, SchemaShape.Column.VectorKind.VariableVector,
            NumberDataViewType.Single, false);
        return new SchemaShape(result.Values);
    }
}
