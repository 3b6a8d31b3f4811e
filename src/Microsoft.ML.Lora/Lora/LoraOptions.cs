namespace Microsoft.ML.Lora;

/// <summary>How the A matrix of each LoRA pair is initialised (B always starts at zero, so training starts at the base model).</summary>
public enum LoraInit
{
    /// <summary>Kaiming-uniform with a = √5, as PEFT's default (<c>init_lora_weights=True</c>).</summary>
    KaimingUniform,
    /// <summary>Normal(0, 1/r), as PEFT's <c>init_lora_weights="gaussian"</c>.</summary>
    Gaussian,
}

/// <summary>
/// LoRA hyper-parameters, with PEFT's meaning and (where PEFT has one) PEFT's default. Which modules get adapters is chosen by
/// exactly one of <see cref="TargetModules"/> (names or name suffixes), <see cref="TargetModulesRegex"/> or
/// <see cref="TargetAllLinear"/>; none of them means the architecture's query and value projections (PEFT's default for BERT).
/// </summary>
public sealed class LoraOptions
{
    /// <summary>The largest rank accepted; a layer further refuses a rank above its smaller dimension.</summary>
    public const int MaxRank = 65536;

    /// <summary>Rank r of the update B·A. Default 8 (PEFT).</summary>
    public int Rank { get; set; } = 8;

    /// <summary>LoRA alpha: the update is scaled by alpha / r (or alpha / √r with <see cref="UseRsLora"/>). Default 16.</summary>
    public double Alpha { get; set; } = 16;

    /// <summary>Dropout applied to the input of the LoRA branch during training. Default 0 (PEFT's).</summary>
    public double Dropout { get; set; }

    /// <summary>
    /// Module names to adapt: a module matches when its name equals an entry or ends with "." + entry (PEFT's list semantics),
    /// e.g. <c>["query", "value"]</c> or <c>["attention.self.query"]</c>. Null = the architecture's default.
    /// </summary>
    public IList<string>? TargetModules { get; set; }

    /// <summary>A regular expression that must match a module's whole name (PEFT's string semantics), e.g. <c>.*layer\.[0-5]\..*(query|value)</c>.</summary>
    public string? TargetModulesRegex { get; set; }

    /// <summary>Adapt every Linear layer of the encoder (PEFT's <c>"all-linear"</c>); the task head is trained fully instead.</summary>
    public bool TargetAllLinear { get; set; }

    /// <summary>Only adapt modules in these layer indices (PEFT's <c>layers_to_transform</c>); null = all layers.</summary>
    public IList<int>? LayersToTransform { get; set; }

    /// <summary>Rank-stabilised LoRA: scale by alpha / √r instead of alpha / r (PEFT's <c>use_rslora</c>).</summary>
    public bool UseRsLora { get; set; }

    /// <summary>Initialisation of A. Default Kaiming-uniform like PEFT.</summary>
    public LoraInit Init { get; set; } = LoraInit.KaimingUniform;

    /// <summary>
    /// Further modules (names or suffixes, PEFT's <c>modules_to_save</c>) trained fully and saved with the adapter.
    /// The task head is always among them.
    /// </summary>
    public IList<string>? ModulesToSave { get; set; }

    /// <summary>The factor applied to B·A·x.</summary>
    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Rank < 1 || Rank > MaxRank) throw new ArgumentOutOfRangeException(nameof(Rank), Rank, $"LoRA rank must be between 1 and {MaxRank}, got {Rank}.");
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) throw new ArgumentException($"LoRA alpha must be a positive number, got {Alpha}.", nameof(Alpha));
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"LoRA dropout must be in [0, 1), got {Dropout}.", nameof(Dropout));
        int ways = (TargetModules is { Count: > 0 } ? 1 : 0) + (TargetModulesRegex is not null ? 1 : 0) + (TargetAllLinear ? 1 : 0);
        if (ways > 1) throw new ArgumentException("Set only one of TargetModules, TargetModulesRegex and TargetAllLinear.", nameof(TargetModules));
        if (TargetModulesRegex is not null)
        {
            try { _ = new System.Text.RegularExpressions.Regex(TargetModulesRegex); }
            catch (ArgumentException e) { throw new ArgumentException($"TargetModulesRegex '{TargetModulesRegex}' is not a valid regular expression: {e.Message}", nameof(TargetModulesRegex), e); }
        }
        if (!Enum.IsDefined(Init)) throw new ArgumentOutOfRangeException(nameof(Init), Init, $"Init {(int)Init} is not a LoraInit.");
        if (TargetModules?.Any(string.IsNullOrWhiteSpace) == true)
            throw new ArgumentException("TargetModules contains an empty or null module name.", nameof(TargetModules));
        if (ModulesToSave?.Any(string.IsNullOrWhiteSpace) == true)
            throw new ArgumentException("ModulesToSave contains an empty or null module name.", nameof(ModulesToSave));
        if (LayersToTransform?.FirstOrDefault(i => i < 0) is < 0 and var bad)
            throw new ArgumentException($"LayersToTransform contains a negative layer index {bad}.", nameof(LayersToTransform));
    }

    /// <summary>A copy (options are mutable; estimators keep their own).</summary>
    public LoraOptions Clone() => new()
    {
        Rank = Rank, Alpha = Alpha, Dropout = Dropout, TargetModules = TargetModules?.ToList(), TargetModulesRegex = TargetModulesRegex,
        TargetAllLinear = TargetAllLinear, LayersToTransform = LayersToTransform?.ToList(), UseRsLora = UseRsLora, Init = Init,
        ModulesToSave = ModulesToSave?.ToList(),
    };
}
