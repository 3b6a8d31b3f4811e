using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.IO;

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

    /// <summary>The prefix of the model type's Hugging Face classes: "Bert" (<c>BertModel</c>, <c>BertForTokenClassification</c>), "DistilBert", "XLMRoberta", ...</summary>
    public string HuggingFaceClassPrefix => ModelType switch
    {
        "roberta" => "Roberta",
        "xlm-roberta" => "XLMRoberta",
        "camembert" => "Camembert",
        "distilbert" => "DistilBert",
        _ => "Bert",
    };

    /// <summary>
    /// Checks that the sizes describe a buildable model of sane size: a config from an untrusted source must not make the
    /// process allocate what it merely declares (the weights' file size is checked against <see cref="MinimumParameterCount"/>
    /// when the weights are read).
    /// </summary>
    public void Validate(string source = "config")
    {
        void Range(long v, string name, long min, long max)
        {
            if (v < min || v > max) throw new InvalidDataException($"{source}: {name} must be between {min} and {max}, got {v}.");
        }
        Range(VocabSize, "vocab_size", 1, 1 << 24); Range(HiddenSize, "hidden_size", 1, 1 << 16); Range(NumLayers, "num_hidden_layers", 1, 1024);
        Range(NumHeads, "num_attention_heads", 1, HiddenSize); Range(IntermediateSize, "intermediate_size", 1, 1 << 20);
        Range(MaxPositionEmbeddings, "max_position_embeddings", 1, 1 << 20); Range(TypeVocabSize, "type_vocab_size", 0, 1 << 16);
        Range(PadTokenId, "pad_token_id", 0, VocabSize - 1);
        if (HiddenSize % NumHeads != 0)
            throw new InvalidDataException($"{source}: hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumHeads}.");
        if (HiddenAct is not ("gelu" or "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" or "relu"))
            throw new InvalidDataException($"{source}: hidden_act '{HiddenAct}' is not supported (expected gelu, gelu_new, gelu_pytorch_tanh or relu).");
        foreach (var (value, name) in new[] { (HiddenDropout, "hidden dropout"), (AttentionDropout, "attention dropout"), (ClassifierDropout ?? 0, "classifier dropout") })
            if (!(value >= 0 && value < 1)) throw new InvalidDataException(FormattableString.Invariant($"{source}: {name} must be in [0, 1), got {value}."));
        if (!(LayerNormEps > 0 && LayerNormEps < 1)) throw new InvalidDataException(FormattableString.Invariant($"{source}: layer_norm_eps must be in (0, 1), got {LayerNormEps}."));
    }

    /// <summary>
    /// A lower bound of the encoder's parameter count (word embeddings and the layers' matrices): a weights file must hold at
    /// least this many values (2 bytes each at the smallest supported dtype) for the config to be believed.
    /// </summary>
    public long MinimumParameterCount => (long)VocabSize * HiddenSize
        + (long)NumLayers * (4L * HiddenSize * HiddenSize + 2L * HiddenSize * IntermediateSize);

    /// <summary>Reads a Hugging Face <c>config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a config of a supported encoder.</exception>
    public static EncoderConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model config not found: {path}", path);
        return Parse(JsonFields.ReadAllText(path), path);
    }

    /// <summary>Parses the text of a Hugging Face <c>config.json</c>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON, a value of the wrong type (names the key), or not a supported encoder.</exception>
    public static EncoderConfig Parse(string json, string source = "config.json")
    {
        var o = JsonFields.Parse(json, source);
        string modelType = o.String("model_type") ?? throw new InvalidDataException($"{source}: 'model_type' is missing.");
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
                VocabSize = o.RequiredInt("vocab_size"), HiddenSize = o.RequiredInt("dim"), NumLayers = o.RequiredInt("n_layers"),
                NumHeads = o.RequiredInt("n_heads"), IntermediateSize = o.RequiredInt("hidden_dim"),
                HiddenAct = o.String("activation") ?? "gelu", HiddenDropout = o.Number("dropout") ?? 0.1,
                AttentionDropout = o.Number("attention_dropout") ?? 0.1, ClassifierDropout = o.Number("seq_classif_dropout") ?? 0.2,
                MaxPositionEmbeddings = o.RequiredInt("max_position_embeddings"), TypeVocabSize = 0, LayerNormEps = 1e-12,
                PadTokenId = o.Int("pad_token_id") ?? 0,
            }
            : new EncoderConfig
            {
                Architecture = arch, ModelType = modelType,
                VocabSize = o.RequiredInt("vocab_size"), HiddenSize = o.RequiredInt("hidden_size"),
                NumLayers = o.RequiredInt("num_hidden_layers"), NumHeads = o.RequiredInt("num_attention_heads"),
                IntermediateSize = o.RequiredInt("intermediate_size"), HiddenAct = o.String("hidden_act") ?? "gelu",
                HiddenDropout = o.Number("hidden_dropout_prob") ?? 0.1, AttentionDropout = o.Number("attention_probs_dropout_prob") ?? 0.1,
                ClassifierDropout = o.Number("classifier_dropout"),
                MaxPositionEmbeddings = o.RequiredInt("max_position_embeddings"), TypeVocabSize = o.Int("type_vocab_size") ?? 2,
                LayerNormEps = o.Number("layer_norm_eps") ?? 1e-12,
                PadTokenId = o.Int("pad_token_id") ?? (arch == EncoderArchitecture.Roberta ? 1 : 0),
            };
        c.Validate(source);
        return c;
    }

    /// <summary>
    /// Writes this config as a Hugging Face <c>config.json</c> text, the keys <c>transformers</c> writes for the architecture's
    /// base model (sorted, as <c>to_json_string()</c> does); the one config writer (HF folders, the embedded MiniLM, model zips,
    /// merged task models and the config beside an adapter).
    /// </summary>
    /// <param name="architecture">The class in <c>architectures</c>; null = the base model's (<c>BertModel</c>, ...).</param>
    /// <param name="labels">The head's output names in index order, written as <c>id2label</c> / <c>label2id</c> (so that
    /// <c>from_pretrained</c> builds a head of that size and pipelines print the names); null = none.</param>
    public string ToJson(string? architecture = null, IReadOnlyList<string>? labels = null)
    {
        var o = Architecture == EncoderArchitecture.DistilBert
            ? new JsonObject
            {
                ["activation"] = HiddenAct, ["architectures"] = new JsonArray(architecture ?? "DistilBertModel"), ["attention_dropout"] = AttentionDropout,
                ["dim"] = HiddenSize, ["dropout"] = HiddenDropout, ["hidden_dim"] = IntermediateSize, ["initializer_range"] = 0.02,
                ["max_position_embeddings"] = MaxPositionEmbeddings, ["model_type"] = ModelType, ["n_heads"] = NumHeads, ["n_layers"] = NumLayers,
                ["pad_token_id"] = PadTokenId, ["seq_classif_dropout"] = ClassifierDropout ?? 0.2, ["vocab_size"] = VocabSize,
            }
            : new JsonObject
            {
                ["architectures"] = new JsonArray(architecture ?? HuggingFaceClassPrefix + "Model"),
                ["attention_probs_dropout_prob"] = AttentionDropout, ["classifier_dropout"] = ClassifierDropout, ["hidden_act"] = HiddenAct,
                ["hidden_dropout_prob"] = HiddenDropout, ["hidden_size"] = HiddenSize, ["initializer_range"] = 0.02,
                ["intermediate_size"] = IntermediateSize,
                // As text, so that 1e-12 is written 1E-12 and not as the float32 constant it may have been read from.
                ["layer_norm_eps"] = JsonNode.Parse(LayerNormEps.ToString("R", CultureInfo.InvariantCulture)),
                ["max_position_embeddings"] = MaxPositionEmbeddings, ["model_type"] = ModelType, ["num_attention_heads"] = NumHeads,
                ["num_hidden_layers"] = NumLayers, ["pad_token_id"] = PadTokenId, ["position_embedding_type"] = "absolute",
                ["torch_dtype"] = "float32", ["type_vocab_size"] = TypeVocabSize, ["use_cache"] = true, ["vocab_size"] = VocabSize,
            };
        if (labels is not null)
        {
            var id2label = new JsonObject();
            var label2id = new JsonObject();
            for (int i = 0; i < labels.Count; i++)
            {
                id2label[i.ToString(CultureInfo.InvariantCulture)] = labels[i];
                label2id[labels[i]] = i;   // a repeated name keeps its last index, as a Python dict comprehension would
            }
            o["id2label"] = id2label;
            o["label2id"] = label2id;
        }
        return new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())))
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
