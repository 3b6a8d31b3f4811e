using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Tokenization;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// Where a model's encoder comes from: its config, tokenizer and maximum input length, and how its pretrained weights are
/// loaded. Either a <see cref="PretrainedModel"/> (Fit, PEFT import) or what a .zip recorded about its base (load).
/// </summary>
internal sealed class EncoderSource
{
    private readonly Func<bool, LoadedEncoder> loadEncoder;
    private readonly Func<string>? folder;   // the checkpoint folder the weights come from, when they can be shared

    private EncoderSource(string name, bool isEmbedded, EncoderConfig config, TextTokenizer tokenizer, int maxSequenceLength,
        Func<bool, LoadedEncoder> loadEncoder, Func<string>? folder)
    {
        this.folder = folder;
        Name = name;
        IsEmbedded = isEmbedded;
        Config = config;
        Tokenizer = tokenizer;
        MaxSequenceLength = maxSequenceLength;
        this.loadEncoder = loadEncoder;
    }

    /// <summary>The base model's name (Hugging Face id or folder).</summary>
    public string Name { get; }

    /// <summary>The base is the MiniLM embedded in the package (a .zip then stores only the trained tensors).</summary>
    public bool IsEmbedded { get; }

    public EncoderConfig Config { get; }

    public TextTokenizer Tokenizer { get; }

    /// <summary>Longest input in tokens, specials included.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>A pretrained model; <paramref name="maxSequenceLength"/> is what the user asked for (null = the model's).</summary>
    public static EncoderSource FromPretrained(PretrainedModel model, int? maxSequenceLength, Action<string>? log)
    {
        var config = model.ReadConfig(log);
        var tokenizer = model.LoadTokenizer(log);
        // A token id beyond the word embeddings would fail inside libtorch, naming nothing: refuse the pair here.
        if (tokenizer.VocabularySize > config.VocabSize)
            throw new InvalidDataException($"{model.Name}: the tokenizer has {tokenizer.VocabularySize} tokens but config.json's vocab_size is {config.VocabSize}; they do not belong together.");
        return new EncoderSource(model.Name, model.IsEmbedded, config, tokenizer, MaxLength(maxSequenceLength, model.DefaultMaxSequenceLength, config, log),
            pooler => model.LoadEncoder(pooler, log), () => model.ResolveFolder(log))
        { HuggingFaceId = model.HuggingFaceId };
    }

    /// <summary>
    /// The base a .zip recorded. On the embedded MiniLM the pretrained weights come from the package (the caller has checked
    /// its content hash); on any other base the encoder starts random, because the .zip holds every tensor.
    /// </summary>
    public static EncoderSource FromPackage(string name, bool isEmbedded, EncoderConfig config, TextTokenizer tokenizer, int maxSequenceLength,
        string? huggingFaceId = null)
        => new(name, isEmbedded, config, tokenizer, maxSequenceLength, pooler =>
        {
            var encoder = EncoderModel.Create(config, pooler && config.Architecture == EncoderArchitecture.Bert);
            if (isEmbedded) HuggingFaceCheckpoint.LoadWeights(encoder, PretrainedModel.MiniLmL6V2.ResolveFolder());
            return new LoadedEncoder(encoder, Array.Empty<string>());
        }, isEmbedded ? () => PretrainedModel.MiniLmL6V2.ResolveFolder() : null)
        { HuggingFaceId = isEmbedded ? PretrainedModel.MiniLmL6V2.HuggingFaceId : huggingFaceId ?? PretrainedModel.DefaultHuggingFaceId(name, null) };

    /// <summary>The base's Hugging Face id, written as PEFT's <c>base_model_name_or_path</c>.</summary>
    public string HuggingFaceId { get; private init; } = "";

    /// <summary>
    /// Builds the encoder with its pretrained weights; with BERT's pooler when <paramref name="withPooler"/>. With
    /// <paramref name="shareOn"/>, a base read from a checkpoint folder shares its frozen weights with the other models of the
    /// process built from it on that device (<see cref="SharedEncoderWeights"/>); the encoder is then already on that device.
    /// </summary>
    public LoadedEncoder LoadEncoder(bool withPooler, TorchSharp.torch.Device? shareOn = null)
        => shareOn is not null && folder is not null ? SharedEncoderWeights.Load(folder(), Config, withPooler, shareOn, loadEncoder) : loadEncoder(withPooler);

    /// <summary>
    /// The maximum input length, in one place: what was asked for, else the length the model was trained for (MiniLM: 256),
    /// else its position table; never more than the position table.
    /// </summary>
    public static int MaxLength(int? requested, int? trainedLength, EncoderConfig config, Action<string>? log)
    {
        int positions = config.MaxSequenceLength;
        if (requested > positions) log?.Invoke($"MaxSequenceLength {requested} exceeds the model's {positions} positions; using {positions}.");
        return Math.Min(requested ?? trainedLength ?? positions, positions);
    }
}
