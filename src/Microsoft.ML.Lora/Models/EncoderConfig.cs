using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// The shape of a BERT-family encoder, read from (and written as) a Hugging Face <c>config.json</c>.
/// BERT/RoBERTa and DistilBERT spell the same quantities differently; this type holds one spelling.
/// </summary>
internal sealed record EncoderConfig
{
    /// <summary>Encoder family.</summary>
    public EncoderArchitecture Architecture { get; init; } = EncoderArchitecture.Bert;
    /// <summary>Hugging Face <c>model_type</c> as found in config.json (e.g. "bert", "roberta", "xlm-roberta", "distilbert").</summary>
    public string ModelType { get; init; } = "bert";
    /// <summary>Vocabulary size (rows of the word embedding).</summary>
    public int VocabSize { get; init; } = 30522;
    /// <summary>Hidden size.</summary>
    public int HiddenSize { get; init; } = 768;
    /// <summary>Number of transformer layers.</summary>
    public int NumLayers { get; init; } = 12;
    /// <summary>Number of attention heads.</summary>
    public int NumHeads { get; init; } = 12;
    /// <summary>Feed-forward inner size.</summary>
    public int IntermediateSize { get; init; } = 3072;
    /// <summary>Feed-forward activation: "gelu" (erf), "gelu_new"/"gelu_pytorch_tanh" (tanh approximation) or "relu".</summary>
    public string HiddenAct { get; init; } = "gelu";
    /// <summary>Dropout on embeddings and layer outputs.</summary>
    public double HiddenDropout { get; init; } = 0.1;
    /// <summary>Dropout on attention probabilities.</summary>
    public double AttentionDropout { get; init; } = 0.1;
    /// <summary>Dropout before the classifier (BERT's <c>classifier_dropout</c>, DistilBERT's <c>seq_classif_dropout</c>); null = <see cref="HiddenDropout"/>.</summary>
    public double? ClassifierDropout { get; init; }
    /// <summary>Rows of the position embedding table.</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>Rows of the token-type embedding table (0 for DistilBERT).</summary>
    public int TypeVocabSize { get; init; } = 2;
    /// <summary>LayerNorm epsilon.</summary>
    public double LayerNormEps { get; init; } = 1e-12;
    /// <summary>Id of the padding token.</summary>
    public int PadTokenId { get; init; }

    /// <summary>Hugging Face module names for this architecture.</summary>
    public ArchitectureModuleNames Names => ArchitectureModuleNames.For(Architecture);

    /// <summary>Longest input (in tokens, specials included) the position table allows.</summary>
    public int MaxSequenceLength => Architecture == EncoderArchitecture.Roberta ? MaxPositionEmbeddings - PadTokenId - 1 : MaxPositionEmbeddings;

    /// <summary>Checks that the sizes describe a buildable model.</summary>
    public void Validate(string source = "config")
    {
        void Positive(int v, string name) { if (v <= 0) throw new InvalidDataException($"{source}: {name} must be positive, got {v}."); }
        Positive(VocabSize, "vocab_size"); Positive(HiddenSize, "hidden_size"); Positive(NumLayers, "num_hidden_layers");
        Positive(NumHeads, "num_attention_heads"); Positive(IntermediateSize, "intermediate_size"); Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (HiddenSize % NumHeads != 0)
            throw new InvalidDataException($"{source}: hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumHeads}.");
        if (HiddenAct is not ("gelu" or "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" or "relu"))
            throw new InvalidDataException($"{source}: hidden_act '{HiddenAct}' is not supported (expected gelu, gelu_new, gelu_pytorch_tanh or relu).");
    }

    /// <summary>Reads a Hugging Face <c>config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a config of a supported encoder.</exception>
    public static EncoderConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model config not found: {path}", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the text of a Hugging Face <c>config.json</c>; <paramref name="source"/> names it in errors.</summary>
    public static EncoderConfig Parse(string json, string source = "config.json")
    {
        JsonObject o;
        try { o = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{source}: expected a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON ({e.Message}).", e); }

        string modelType = Str(o, "model_type") ?? throw new InvalidDataException($"{source}: 'model_type' is missing.");
        var arch = modelType switch
        {
            "bert" => EncoderArchitecture.Bert,
            "roberta" or "xlm-roberta" or "camembert" => EncoderArchitecture.Roberta,
            "distilbert" => EncoderArchitecture.DistilBert,
            _ => throw new InvalidDataException($"{source}: model_type '{modelType}' is not supported (expected bert, roberta, xlm-roberta, camembert or distilbert)."),
        };
        EncoderConfig c = arch == EncoderArchitecture.DistilBert
            ? new EncoderConfig
            {
                Architecture = arch, ModelType = modelType,
                VocabSize = Int(o, "vocab_size", source), HiddenSize = Int(o, "dim", source), NumLayers = Int(o, "n_layers", source),
                NumHeads = Int(o, "n_heads", source), IntermediateSize = Int(o, "hidden_dim", source),
                HiddenAct = Str(o, "activation") ?? "gelu", HiddenDropout = Dbl(o, "dropout") ?? 0.1,
                AttentionDropout = Dbl(o, "attention_dropout") ?? 0.1, ClassifierDropout = Dbl(o, "seq_classif_dropout") ?? 0.2,
                MaxPositionEmbeddings = Int(o, "max_position_embeddings", source), TypeVocabSize = 0, LayerNormEps = 1e-12,
                PadTokenId = (int)(Dbl(o, "pad_token_id") ?? 0),
            }
            : new EncoderConfig
            {
                Architecture = arch, ModelType = modelType,
                VocabSize = Int(o, "vocab_size", source), HiddenSize = Int(o, "hidden_size", source),
                NumLayers = Int(o, "num_hidden_layers", source), NumHeads = Int(o, "num_attention_heads", source),
                IntermediateSize = Int(o, "intermediate_size", source), HiddenAct = Str(o, "hidden_act") ?? "gelu",
                HiddenDropout = Dbl(o, "hidden_dropout_prob") ?? 0.1, AttentionDropout = Dbl(o, "attention_probs_dropout_prob") ?? 0.1,
                ClassifierDropout = Dbl(o, "classifier_dropout"),
                MaxPositionEmbeddings = Int(o, "max_position_embeddings", source), TypeVocabSize = (int)(Dbl(o, "type_vocab_size") ?? 2),
                LayerNormEps = Dbl(o, "layer_norm_eps") ?? 1e-12,
                PadTokenId = (int)(Dbl(o, "pad_token_id") ?? (arch == EncoderArchitecture.Roberta ? 1 : 0)),
            };
        c.Validate(source);
        return c;
    }

    /// <summary>
    /// Writes this config as a Hugging Face <c>config.json</c> text, the keys <c>transformers</c> writes for the architecture's
    /// base model (sorted, as <c>to_json_string()</c> does); the one config writer (HF folders, the embedded MiniLM, model zips).
    /// </summary>
    public string ToJson()
    {
        var o = Architecture == EncoderArchitecture.DistilBert
            ? new JsonObject
            {
                ["activation"] = HiddenAct, ["architectures"] = new JsonArray("DistilBertModel"), ["attention_dropout"] = AttentionDropout,
                ["dim"] = HiddenSize, ["dropout"] = HiddenDropout, ["hidden_dim"] = IntermediateSize, ["initializer_range"] = 0.02,
                ["max_position_embeddings"] = MaxPositionEmbeddings, ["model_type"] = ModelType, ["n_heads"] = NumHeads, ["n_layers"] = NumLayers,
                ["pad_token_id"] = PadTokenId, ["seq_classif_dropout"] = ClassifierDropout ?? 0.2, ["vocab_size"] = VocabSize,
            }
            : new JsonObject
            {
                ["architectures"] = new JsonArray(Architecture == EncoderArchitecture.Roberta ? "RobertaModel" : "BertModel"),
                ["attention_probs_dropout_prob"] = AttentionDropout, ["classifier_dropout"] = ClassifierDropout, ["hidden_act"] = HiddenAct,
                ["hidden_dropout_prob"] = HiddenDropout, ["hidden_size"] = HiddenSize, ["initializer_range"] = 0.02,
                ["intermediate_size"] = IntermediateSize,
                // As text, so that 1e-12 is written 1E-12 and not as the float32 constant it may have been read from.
                ["layer_norm_eps"] = JsonNode.Parse(LayerNormEps.ToString("R", CultureInfo.InvariantCulture)),
                ["max_position_embeddings"] = MaxPositionEmbeddings, ["model_type"] = ModelType, ["num_attention_heads"] = NumHeads,
                ["num_hidden_layers"] = NumLayers, ["pad_token_id"] = PadTokenId, ["position_embedding_type"] = "absolute",
                ["torch_dtype"] = "float32", ["type_vocab_size"] = TypeVocabSize, ["use_cache"] = true, ["vocab_size"] = VocabSize,
            };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static double? Dbl(JsonObject o, string key)
    {
        if (o[key] is not JsonValue v) return null;
        if (v.TryGetValue(out double d)) return d;
        if (v.TryGetValue(out string? s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d)) return d;
        return null;
    }

    private static int Int(JsonObject o, string key, string source)
        => (int)(Dbl(o, key) ?? throw new InvalidDataException($"{source}: '{key}' is missing or not a number."));
}
