using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.IO;

namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// PEFT's <c>adapter_config.json</c> for a LoRA adapter: the keys PEFT 0.20 writes, with PEFT's meaning and defaults. On read,
/// keys PEFT does not know are ignored and listed in <see cref="IgnoredKeys"/> (PEFT warns and ignores them too); settings
/// that would make PEFT compute something this library cannot (a base transformed at load by PiSSA/OLoRA/CorDA/LoftQ,
/// trained base biases, token-level or routed variants, AdaLoRA and other PEFT types) are refused naming the key and why.
/// </summary>
internal sealed record PeftAdapterConfig
{
    /// <summary>File name PEFT uses.</summary>
    public const string FileName = "adapter_config.json";

    /// <summary>The PEFT version whose format and semantics the files this library writes follow (written as <c>peft_version</c>).</summary>
    public const string FormatVersion = "0.20.0";

    /// <summary>PEFT's <c>target_modules</c> value for every linear layer.</summary>
    public const string AllLinear = "all-linear";

    /// <summary>PEFT task type ("SEQ_CLS", "TOKEN_CLS", "QUESTION_ANS", "FEATURE_EXTRACTION"), or null when the file has none.</summary>
    public string? TaskType { get; init; } = "SEQ_CLS";
    /// <summary>Rank.</summary>
    public int R { get; init; } = 8;
    /// <summary>Alpha.</summary>
    public double LoraAlpha { get; init; } = 8;
    /// <summary>Dropout of the LoRA branch.</summary>
    public double LoraDropout { get; init; }
    /// <summary>Target module names/suffixes (PEFT list form), or null when <see cref="TargetModulesRegex"/> is used.</summary>
    public IReadOnlyList<string>? TargetModules { get; init; }
    /// <summary>Target regex or <c>"all-linear"</c> (PEFT's string form), or null.</summary>
    public string? TargetModulesRegex { get; init; }
    /// <summary>Modules never adapted (PEFT list form), or null.</summary>
    public IReadOnlyList<string>? ExcludeModules { get; init; }
    /// <summary>Modules never adapted (PEFT string form: a regex matching the whole name), or null.</summary>
    public string? ExcludeModulesRegex { get; init; }
    /// <summary>Modules trained fully and saved with the adapter (the task head), as written (duplicates kept).</summary>
    public IReadOnlyList<string>? ModulesToSave { get; init; }
    /// <summary>Layer indices adapted, or null for all.</summary>
    public IReadOnlyList<int>? LayersToTransform { get; init; }
    /// <summary>Names of the layer list <see cref="LayersToTransform"/> indexes, or null.</summary>
    public IReadOnlyList<string>? LayersPattern { get; init; }
    /// <summary>Per-module ranks, in the file's order (PEFT uses the first key that matches).</summary>
    public IReadOnlyList<KeyValuePair<string, int>> RankPattern { get; init; } = Array.Empty<KeyValuePair<string, int>>();
    /// <summary>Per-module alphas, in the file's order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> AlphaPattern { get; init; } = Array.Empty<KeyValuePair<string, double>>();
    /// <summary>rsLoRA scaling.</summary>
    public bool UseRsLora { get; init; }
    /// <summary>DoRA.</summary>
    public bool UseDora { get; init; }
    /// <summary>A trained bias on B.</summary>
    public bool LoraBias { get; init; }
    /// <summary>true (Kaiming-uniform) or "gaussian" (other values PEFT loads without touching the base read as Kaiming-uniform).</summary>
    public LoraInit InitLoraWeights { get; init; } = LoraInit.KaimingUniform;
    /// <summary>The base model: a Hugging Face id or folder.</summary>
    public string? BaseModelNameOrPath { get; init; }
    /// <summary>Read only: the keys of the file that PEFT does not know (ignored), and settings accepted with a note (e.g. fan_in_fan_out on Linear layers).</summary>
    public IReadOnlyList<string> IgnoredKeys { get; init; } = Array.Empty<string>();

    // The one mapping between LoraOptions and adapter_config.json: FromLoraOptions and ToLoraOptions are each other's inverse.

    /// <summary>The adapter config of <paramref name="options"/>, with PEFT's meaning of every key (task type and base left at their defaults).</summary>
    public static PeftAdapterConfig FromLoraOptions(LoraOptions options) => new()
    {
        R = options.Rank, LoraAlpha = options.Alpha, LoraDropout = options.Dropout,
        TargetModules = options.TargetAllLinear ? null : options.TargetModules?.ToList(),
        TargetModulesRegex = options.TargetAllLinear ? AllLinear : options.TargetModulesRegex,
        ExcludeModules = options.ExcludeModules?.ToList(), ExcludeModulesRegex = options.ExcludeModulesRegex,
        LayersToTransform = options.LayersToTransform?.ToList(), LayersPattern = options.LayersPattern?.ToList(),
        RankPattern = options.RankPattern?.ToList() ?? new List<KeyValuePair<string, int>>(),
        AlphaPattern = options.AlphaPattern?.ToList() ?? new List<KeyValuePair<string, double>>(),
        UseRsLora = options.UseRsLora, UseDora = options.UseDora, LoraBias = options.LoraBias, InitLoraWeights = options.Init,
        ModulesToSave = options.ModulesToSave?.ToList(),
    };

    /// <summary>The equivalent <see cref="LoraOptions"/> (<c>"all-linear"</c> becomes <see cref="LoraOptions.TargetAllLinear"/>; duplicates in <c>modules_to_save</c> are dropped).</summary>
    public LoraOptions ToLoraOptions() => new()
    {
        Rank = R, Alpha = LoraAlpha, Dropout = LoraDropout, TargetModules = TargetModules?.ToList(),
        TargetModulesRegex = IsAllLinear ? null : TargetModulesRegex, TargetAllLinear = IsAllLinear,
        ExcludeModules = ExcludeModules?.ToList(), ExcludeModulesRegex = ExcludeModulesRegex,
        LayersToTransform = LayersToTransform?.ToList(), LayersPattern = LayersPattern?.ToList(),
        RankPattern = RankPattern.Count == 0 ? null : Ordered(RankPattern), AlphaPattern = AlphaPattern.Count == 0 ? null : Ordered(AlphaPattern),
        UseRsLora = UseRsLora, UseDora = UseDora, LoraBias = LoraBias, Init = InitLoraWeights,
        ModulesToSave = ModulesToSave?.Distinct(StringComparer.Ordinal).ToList(),
    };

    // PEFT lower-cases the shorthand before comparing.
    private bool IsAllLinear => TargetModulesRegex is { } t && t.Equals(AllLinear, StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, T> Ordered<T>(IEnumerable<KeyValuePair<string, T>> pairs)
    {
        var d = new Dictionary<string, T>(StringComparer.Ordinal);   // filled in order, never removed from: enumerates in order
        foreach (var (k, v) in pairs) d.TryAdd(k, v);
        return d;
    }

    /// <summary>Serialises with every key PEFT itself writes for LoRA, so that <c>PeftModel.from_pretrained</c> accepts it.</summary>
    public string ToJson()
    {
        static JsonArray? Arr<T>(IEnumerable<T>? xs) => xs is null ? null : new JsonArray(xs.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
        static JsonNode? ListOrRegex(IEnumerable<string>? list, string? regex) => regex is not null ? JsonValue.Create(regex) : Arr(list);
        var rankPattern = new JsonObject();
        foreach (var (k, v) in RankPattern) rankPattern[k] = v;
        var alphaPattern = new JsonObject();
        foreach (var (k, v) in AlphaPattern) alphaPattern[k] = v;
        var o = new JsonObject
        {
            ["alpha_pattern"] = alphaPattern,
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = BaseModelNameOrPath,
            ["bias"] = "none",
            ["corda_config"] = null,
            ["eva_config"] = null,
            ["exclude_modules"] = ListOrRegex(ExcludeModules, ExcludeModulesRegex),
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = InitLoraWeights == LoraInit.Gaussian ? JsonValue.Create("gaussian") : JsonValue.Create(true),
            ["layer_replication"] = null,
            ["layers_pattern"] = Arr(LayersPattern),
            ["layers_to_transform"] = Arr(LayersToTransform),
            ["loftq_config"] = new JsonObject(),
            ["lora_alpha"] = LoraAlpha,
            ["lora_bias"] = LoraBias,
            ["lora_dropout"] = LoraDropout,
            ["megatron_config"] = null,
            ["megatron_core"] = "megatron.core",
            ["modules_to_save"] = Arr(ModulesToSave),
            ["peft_type"] = "LORA",
            ["peft_version"] = FormatVersion,
            ["r"] = R,
            ["rank_pattern"] = rankPattern,
            ["revision"] = null,
            ["target_modules"] = ListOrRegex(TargetModules, TargetModulesRegex),
            ["task_type"] = TaskType,
            ["trainable_token_indices"] = null,
            ["use_dora"] = UseDora,
            ["use_rslora"] = UseRsLora,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    // Every key of PEFT 0.20's LoraConfig and PeftConfig; anything else is from a newer PEFT (ignored, as PEFT does).
    private static readonly HashSet<string> KnownKeys = new(StringComparer.Ordinal)
    {
        "peft_type", "task_type", "auto_mapping", "peft_version", "base_model_name_or_path", "revision", "inference_mode",
        "r", "target_modules", "exclude_modules", "lora_alpha", "lora_dropout", "fan_in_fan_out", "bias", "use_rslora",
        "modules_to_save", "init_lora_weights", "layers_to_transform", "layers_pattern", "rank_pattern", "alpha_pattern",
        "megatron_config", "megatron_core", "trainable_token_indices", "loftq_config", "eva_config", "corda_config",
        "lora_ga_config", "use_dora", "velora_config", "alora_invocation_tokens", "use_qalora", "qalora_group_size",
        "monteclora_config", "layer_replication", "runtime_config", "lora_bias", "target_parameters", "use_bdlora",
        "arrow_config", "kasa_config", "ensure_weight_tying",
    };

    // init_lora_weights values with which PEFT changes the base weights when it loads the adapter (or needs what only the
    // training run had): loading the file's A and B onto the original base would compute something else.
    private static readonly (string Prefix, string Why)[] BaseChangingInits =
    {
        ("pissa", "PiSSA subtracts the adapter's principal components from the base weights when PEFT loads it (W_res = W − scale·B·A from an SVD of W)"),
        ("olora", "OLoRA subtracts a QR-based initial update from the base weights when PEFT loads it"),
        ("corda", "CorDA rebuilds the base weights from a covariance of the training data when PEFT loads it"),
        ("loftq", "LoftQ quantizes the base weights and initialises LoRA from the quantization error"),
    };

    // Settings that change what the adapted model computes in ways this library does not implement, refused when set.
    private static readonly (string Key, string What)[] UnsupportedWhenSet =
    {
        ("trainable_token_indices", "trained embedding rows (trainable tokens)"),
        ("layer_replication", "layer replication"),
        ("target_parameters", "LoRA on bare parameters (target_parameters)"),
        ("alora_invocation_tokens", "activated LoRA (aLoRA)"),
        ("monteclora_config", "MonteCLoRA"),
        ("use_bdlora", "block-diagonal LoRA (BD-LoRA)"),
        ("arrow_config", "Arrow routing"),
        ("kasa_config", "KaSA (an SVD-truncated base)"),
        ("megatron_config", "Megatron parallel layers"),
    };

    /// <summary>Parses an <c>adapter_config.json</c>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not a LoRA config (names <c>peft_type</c>); a value of the wrong JSON type or out of
    /// range (names the key, the value and what was expected); or a setting this library cannot honour (names the key and why).</exception>
    public static PeftAdapterConfig Parse(string json, string source = FileName)
    {
        var o = JsonFields.Parse(json, source);
        var type = o.String("peft_type");
        if (type != "LORA")
            throw new InvalidDataException($"{source}: peft_type is '{type ?? "(missing)"}', expected 'LORA'" +
                (type is null ? "." : $": {type} adapters are not LoRA adapters and cannot be loaded by Microsoft.ML.Lora."));
        InvalidDataException Refuse(string key, string why) => new($"{source}: {key}: {why}; Microsoft.ML.Lora cannot load this adapter.");

        var ignored = o.Element.EnumerateObject().Select(p => p.Name).Where(k => !KnownKeys.Contains(k)).ToList();
        if (o.Bool("fan_in_fan_out") == true) ignored.Add("fan_in_fan_out (PEFT sets it to false for Linear layers)");
        var bias = o.String("bias");
        if (bias is not null && bias != "none")
            throw Refuse("bias", $"'{bias}' trains the base layers' biases, which this library does not (lora_bias = true trains a bias on B)");
        foreach (var (key, what) in UnsupportedWhenSet)
            if (IsSet(o, key)) throw Refuse(key, $"{what} is not supported");
        if (o.Bool("use_qalora") == true) throw Refuse("use_qalora", "QALoRA (quantization-aware LoRA) is not supported");

        var init = o.Raw("init_lora_weights");
        var initKind = LoraInit.KaimingUniform;
        if (init is { ValueKind: JsonValueKind.String } s)
        {
            string value = s.GetString()!;
            if (BaseChangingInits.FirstOrDefault(b => value.StartsWith(b.Prefix, StringComparison.OrdinalIgnoreCase)) is { Why: not null } changing)
                throw Refuse("init_lora_weights", $"'{value}': {changing.Why}, so the adapter only reproduces its training on that transformed base (convert it in PEFT with save_pretrained(path_initial_model_for_weight_conversion=...) to a plain LoRA adapter)");
            initKind = value.ToLowerInvariant() switch
            {
                "gaussian" => LoraInit.Gaussian,
                // PEFT loads these without touching the base: the file's A and B are the adapter.
                "eva" or "orthogonal" or "mica" or "lora_ga" => LoraInit.KaimingUniform,
                _ => throw Refuse("init_lora_weights", $"'{value}' is not an initialisation PEFT 0.20 knows (true, false, \"gaussian\", \"eva\", \"orthogonal\", \"mica\", \"lora_ga\")"),
            };
        }
        else if (init is { } other && other.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw o.Wrong("init_lora_weights", other, "true, false or a string");

        bool useDora = o.Bool("use_dora") ?? false, loraBias = o.Bool("lora_bias") ?? false;
        if (loraBias && useDora) throw Refuse("lora_bias", "lora_bias = true with use_dora = true is refused by PEFT too (\"lora_bias=True is not supported for DoRA\")");
        var (targets, targetRegex) = ListOrRegex(o, "target_modules");
        var (exclude, excludeRegex) = ListOrRegex(o, "exclude_modules");
        var layers = o.Raw("layers_to_transform") is { ValueKind: JsonValueKind.Number } ? new List<int> { o.Int("layers_to_transform", 0)!.Value } : o.Ints("layers_to_transform", 0);
        var layersPattern = o.Raw("layers_pattern") is { ValueKind: JsonValueKind.String } ? new List<string> { o.String("layers_pattern")! } : o.Strings("layers_pattern");
        bool regexTargets = targetRegex is not null && !targetRegex.Equals(AllLinear, StringComparison.OrdinalIgnoreCase);
        if (targetRegex is not null && layers is not null)
            throw Refuse("layers_to_transform", "PEFT refuses it with a string target_modules (\"`layers_to_transform` cannot be used when `target_modules` is a str\")");
        if (regexTargets && layersPattern is { Count: > 0 })
            throw Refuse("layers_pattern", "PEFT refuses it with a string target_modules");

        return new PeftAdapterConfig
        {
            TaskType = o.String("task_type"),
            R = o.Int("r", 1, LoraOptions.MaxRank) ?? 8,
            LoraAlpha = o.Positive("lora_alpha") ?? 8,
            LoraDropout = o.Number("lora_dropout", 0, 1, maxExclusive: true) ?? 0,
            TargetModules = targets, TargetModulesRegex = targetRegex,
            ExcludeModules = exclude, ExcludeModulesRegex = excludeRegex,
            ModulesToSave = o.Strings("modules_to_save"),
            LayersToTransform = layers, LayersPattern = layersPattern,
            RankPattern = Pattern(o, "rank_pattern", (f, k) => f.Int(k, 1, LoraOptions.MaxRank)!.Value),
            AlphaPattern = Pattern(o, "alpha_pattern", (f, k) => f.Positive(k)!.Value),
            UseRsLora = o.Bool("use_rslora") ?? false,
            UseDora = useDora, LoraBias = loraBias,
            InitLoraWeights = initKind,
            BaseModelNameOrPath = o.String("base_model_name_or_path"),
            IgnoredKeys = ignored,
        };
    }

    private static bool IsSet(JsonFields o, string key) => o.Raw(key) is { } v && v.ValueKind switch
    {
        JsonValueKind.False => false,
        JsonValueKind.Array => v.GetArrayLength() > 0,
        JsonValueKind.Object => v.EnumerateObject().Any(),
        _ => true,
    };

    private static (List<string>? List, string? Regex) ListOrRegex(JsonFields o, string key)
        => o.Raw(key) is { ValueKind: JsonValueKind.String } ? (null, o.String(key)) : (o.Strings(key), null);

    private static List<KeyValuePair<string, T>> Pattern<T>(JsonFields o, string key, Func<JsonFields, string, T> read)
    {
        var result = new List<KeyValuePair<string, T>>();
        if (o.Object(key) is not { } pattern) return result;
        foreach (var p in pattern.Element.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Null) continue;
            result.Add(new(p.Name, read(pattern, p.Name)));
        }
        return result;
    }

    /// <summary>Describes the setting for logs: "r=8, alpha=16, targets query, value".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"r={R}, alpha={LoraAlpha}, targets {(TargetModulesRegex ?? string.Join(", ", TargetModules ?? Array.Empty<string>()))}{(UseDora ? ", DoRA" : "")}");
}
