using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.IO;

namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// PEFT's <c>adapter_config.json</c> for a LoRA adapter: the keys PEFT writes, with PEFT's meaning. Unknown keys are ignored on
/// read; settings this library cannot honour (DoRA, fan-in/fan-out, trained biases, per-module rank patterns) are refused.
/// </summary>
internal sealed record PeftAdapterConfig
{
    /// <summary>File name PEFT uses.</summary>
    public const string FileName = "adapter_config.json";

    /// <summary>PEFT task type: "SEQ_CLS" or "TOKEN_CLS".</summary>
    public string TaskType { get; init; } = "SEQ_CLS";
    /// <summary>Rank.</summary>
    public int R { get; init; } = 8;
    /// <summary>Alpha.</summary>
    public double LoraAlpha { get; init; } = 8;
    /// <summary>Dropout of the LoRA branch.</summary>
    public double LoraDropout { get; init; }
    /// <summary>Target module names/suffixes (PEFT list form), or null when <see cref="TargetModulesRegex"/> is used.</summary>
    public IReadOnlyList<string>? TargetModules { get; init; }
    /// <summary>Target regex (PEFT's string form), or null.</summary>
    public string? TargetModulesRegex { get; init; }
    /// <summary>Modules trained fully and saved with the adapter (the task head).</summary>
    public IReadOnlyList<string>? ModulesToSave { get; init; }
    /// <summary>Layer indices adapted, or null for all.</summary>
    public IReadOnlyList<int>? LayersToTransform { get; init; }
    /// <summary>rsLoRA scaling.</summary>
    public bool UseRsLora { get; init; }
    /// <summary>true (Kaiming-uniform) or "gaussian".</summary>
    public LoraInit InitLoraWeights { get; init; } = LoraInit.KaimingUniform;
    /// <summary>The base model: a Hugging Face id or folder (informational).</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>PEFT's <c>target_modules</c> value for every linear layer.</summary>
    public const string AllLinear = "all-linear";

    // The one mapping between LoraOptions and adapter_config.json: FromLoraOptions and ToLoraOptions are each other's inverse.

    /// <summary>The adapter config of <paramref name="options"/>, with PEFT's meaning of every key (task type and base left at their defaults).</summary>
    public static PeftAdapterConfig FromLoraOptions(LoraOptions options) => new()
    {
        R = options.Rank, LoraAlpha = options.Alpha, LoraDropout = options.Dropout,
        TargetModules = options.TargetAllLinear ? null : options.TargetModules?.ToList(),
        TargetModulesRegex = options.TargetAllLinear ? AllLinear : options.TargetModulesRegex,
        LayersToTransform = options.LayersToTransform?.ToList(), UseRsLora = options.UseRsLora, InitLoraWeights = options.Init,
        ModulesToSave = options.ModulesToSave?.ToList(),
    };

    /// <summary>The equivalent <see cref="LoraOptions"/> (<c>"all-linear"</c> becomes <see cref="LoraOptions.TargetAllLinear"/>).</summary>
    public LoraOptions ToLoraOptions() => new()
    {
        Rank = R, Alpha = LoraAlpha, Dropout = LoraDropout, TargetModules = TargetModules?.ToList(),
        TargetModulesRegex = TargetModulesRegex == AllLinear ? null : TargetModulesRegex, TargetAllLinear = TargetModulesRegex == AllLinear,
        LayersToTransform = LayersToTransform?.ToList(), UseRsLora = UseRsLora, Init = InitLoraWeights,
        ModulesToSave = ModulesToSave?.ToList(),
    };

    /// <summary>Serialises with every key PEFT itself writes for LoRA, so that <c>PeftModel.from_pretrained</c> accepts it.</summary>
    public string ToJson()
    {
        static JsonArray? Arr<T>(IEnumerable<T>? xs) => xs is null ? null : new JsonArray(xs.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
        var o = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = BaseModelNameOrPath,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = InitLoraWeights == LoraInit.Gaussian ? JsonValue.Create("gaussian") : JsonValue.Create(true),
            ["layer_replication"] = null,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = Arr(LayersToTransform),
            ["loftq_config"] = new JsonObject(),
            ["lora_alpha"] = LoraAlpha,
            ["lora_dropout"] = LoraDropout,
            ["megatron_config"] = null,
            ["megatron_core"] = "megatron.core",
            ["modules_to_save"] = Arr(ModulesToSave),
            ["peft_type"] = "LORA",
            ["r"] = R,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = TargetModulesRegex is not null ? JsonValue.Create(TargetModulesRegex) : Arr(TargetModules),
            ["task_type"] = TaskType,
            ["use_dora"] = false,
            ["use_rslora"] = UseRsLora,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Parses an <c>adapter_config.json</c>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not a LoRA config; a value of the wrong JSON type or out of range (names the key,
    /// the value and what was expected); or a feature this library does not support.</exception>
    public static PeftAdapterConfig Parse(string json, string source = FileName)
    {
        var o = JsonFields.Parse(json, source);
        var type = o.String("peft_type");
        if (type != "LORA")
            throw new InvalidDataException($"{source}: peft_type is '{type ?? "(missing)"}', expected 'LORA'.");
        void Refuse(bool bad, string what) { if (bad) throw new InvalidDataException($"{source}: {what} is not supported by Microsoft.ML.Lora."); }
        Refuse(o.Bool("use_dora") == true, "use_dora = true (DoRA)");
        Refuse(o.Bool("fan_in_fan_out") == true, "fan_in_fan_out = true");
        var bias = o.String("bias");
        Refuse(bias is not null && bias != "none", $"bias = '{bias}' (trained biases)");
        Refuse(o.Object("rank_pattern") is { } rp && rp.Element.EnumerateObject().Any(), "a non-empty rank_pattern");
        Refuse(o.Object("alpha_pattern") is { } ap && ap.Element.EnumerateObject().Any(), "a non-empty alpha_pattern");

        var targets = o.Raw("target_modules");
        var init = o.Raw("init_lora_weights");
        var initKind = init is null || init.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? LoraInit.KaimingUniform
            : init.Value.ValueKind == JsonValueKind.String && init.Value.GetString() == "gaussian" ? LoraInit.Gaussian
            : init.Value.ValueKind == JsonValueKind.String ? throw new InvalidDataException($"{source}: init_lora_weights = '{init.Value.GetString()}' is not supported by Microsoft.ML.Lora (true, false or \"gaussian\").")
            : throw o.Wrong("init_lora_weights", init.Value, "true, false or a string");
        return new PeftAdapterConfig
        {
            TaskType = o.String("task_type") ?? "SEQ_CLS",
            R = o.Int("r", 1, LoraOptions.MaxRank) ?? 8,
            LoraAlpha = o.Positive("lora_alpha") ?? 8,
            LoraDropout = o.Number("lora_dropout", 0, 1, maxExclusive: true) ?? 0,
            TargetModules = targets is { ValueKind: JsonValueKind.String } ? null : o.Strings("target_modules"),
            TargetModulesRegex = targets is { ValueKind: JsonValueKind.String } ? o.String("target_modules") : null,
            ModulesToSave = o.Strings("modules_to_save"),
            LayersToTransform = o.Raw("layers_to_transform") is { ValueKind: JsonValueKind.Number }
                ? new[] { o.Int("layers_to_transform", 0)!.Value }
                : o.Ints("layers_to_transform", 0),
            UseRsLora = o.Bool("use_rslora") ?? false,
            InitLoraWeights = initKind,
            BaseModelNameOrPath = o.String("base_model_name_or_path"),
        };
    }
}
