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
/// LoRA hyper-parameters, with PEFT's meaning and PEFT's defaults (r = 8, alpha = 8, dropout 0, query and value). Which
/// modules get adapters is chosen by exactly one of <see cref="TargetModules"/> (names or name suffixes),
/// <see cref="TargetModulesRegex"/> or <see cref="TargetAllLinear"/>; none of them means the architecture's query and value
/// projections (PEFT's default for BERT). As in PEFT, a module inside one of <see cref="ModulesToSave"/> (or the task head)
/// never gets an adapter, nor does one matched by <see cref="ExcludeModules"/> / <see cref="ExcludeModulesRegex"/>. Module
/// names are the Hugging Face ones of the task model (<c>bert.encoder.layer.0.attention.self.query</c>; for a bare-encoder
/// task such as feature extraction, <c>encoder.layer.0.attention.self.query</c>), as PEFT sees them.
/// </summary>
public sealed class LoraOptions
{
    /// <summary>The largest rank accepted; a layer further refuses a rank above its smaller dimension.</summary>
    public const int MaxRank = 65536;

    /// <summary>Rank r of the update B·A. Default 8 (PEFT).</summary>
    public int Rank { get; set; } = 8;

    /// <summary>LoRA alpha: the update is scaled by alpha / r (or alpha / √r with <see cref="UseRsLora"/>). Default 8 (PEFT's, a scale of 1 at r = 8).</summary>
    public double Alpha { get; set; } = 8;

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

    /// <summary>
    /// Only adapt modules in these layer indices (PEFT's <c>layers_to_transform</c>); null = all layers. The index is the first
    /// number between dots in the module name (<c>encoder.layer.3.…</c> → 3), or the one after <see cref="LayersPattern"/>.
    /// PEFT cannot combine it with <see cref="TargetModulesRegex"/>.
    /// </summary>
    public IList<int>? LayersToTransform { get; set; }

    /// <summary>
    /// Names of the layer list whose index <see cref="LayersToTransform"/> reads (PEFT's <c>layers_pattern</c>, e.g. <c>"layer"</c>);
    /// null = the first numbered name segment. Needs <see cref="LayersToTransform"/>.
    /// </summary>
    public IList<string>? LayersPattern { get; set; }

    /// <summary>
    /// Modules never adapted: a name equal to an entry or ending with "." + entry (PEFT's <c>exclude_modules</c> list form),
    /// e.g. <c>["encoder.layer.0.attention.self.query"]</c>. As in PEFT, an entry that excludes nothing is an error.
    /// </summary>
    public IList<string>? ExcludeModules { get; set; }

    /// <summary>Modules never adapted: a regular expression matching the whole name (PEFT's <c>exclude_modules</c> string form).</summary>
    public string? ExcludeModulesRegex { get; set; }

    /// <summary>
    /// Ranks other than <see cref="Rank"/> for some modules (PEFT's <c>rank_pattern</c>): the first key, in order, that matches
    /// the end of a module's name as a regular expression (<c>(.*\.)?(key)$</c>) gives its rank, e.g.
    /// <c>{ ["layer.0.attention.self.query"] = 16 }</c>. An insertion-ordered dictionary keeps PEFT's first-match order.
    /// </summary>
    public IDictionary<string, int>? RankPattern { get; set; }

    /// <summary>Alphas other than <see cref="Alpha"/> for some modules (PEFT's <c>alpha_pattern</c>), matched as <see cref="RankPattern"/>.</summary>
    public IDictionary<string, double>? AlphaPattern { get; set; }

    /// <summary>
    /// DoRA (PEFT's <c>use_dora</c>, Liu et al. 2024): the adapted weight is split into a direction W0 + scale·B·A, normalised per
    /// output row, and a trained magnitude vector m (<c>lora_magnitude_vector</c>, initialised to the row norms of W0):
    /// W = m · (W0 + scale·B·A) / ‖W0 + scale·B·A‖. Merged for inference like LoRA; training costs a little more.
    /// </summary>
    public bool UseDora { get; set; }

    /// <summary>Give B a trained bias (PEFT's <c>lora_bias</c>, for adapters extracted from fully fine-tuned weights); merged into the layer's bias.</summary>
    public bool LoraBias { get; set; }

    /// <summary>Rank-stabilised LoRA: scale by alpha / √r instead of alpha / r (PEFT's <c>use_rslora</c>).</summary>
    public bool UseRsLora { get; set; }

    /// <summary>Initialisation of A. Default Kaiming-uniform like PEFT.</summary>
    public LoraInit Init { get; set; } = LoraInit.KaimingUniform;

    /// <summary>
    /// Further modules (names or suffixes, PEFT's <c>modules_to_save</c>) trained fully and saved with the adapter.
    /// The task head is always among them.
    /// </summary>
    public IList<string>? ModulesToSave { get; set; }

    /// <summary>The factor applied to B·A·x (for modules without a rank or alpha pattern).</summary>
    public double Scaling => ScalingOf(Rank, Alpha);

    /// <summary>alpha / r, or alpha / √r with rsLoRA.</summary>
    internal double ScalingOf(int rank, double alpha) => UseRsLora ? alpha / Math.Sqrt(rank) : alpha / rank;

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
        ValidatePeftCombinations();
    }

    // The combinations PEFT's LoraConfig refuses, refused here with PEFT's reason (an adapter saved with them would not load there).
    private void ValidatePeftCombinations()
    {
        if (TargetModulesRegex is not null && LayersToTransform is not null)
            throw new ArgumentException("LayersToTransform cannot be used with TargetModulesRegex (PEFT: \"`layers_to_transform` cannot be used when `target_modules` is a str\"); put the layer indices into the regular expression, or use TargetModules.", nameof(LayersToTransform));
        if (LayersPattern is { Count: > 0 })
        {
            if (TargetModulesRegex is not null)
                throw new ArgumentException("LayersPattern cannot be used with TargetModulesRegex (PEFT: \"`layers_pattern` cannot be used when `target_modules` is a str\").", nameof(LayersPattern));
            if (LayersToTransform is null)
                throw new ArgumentException("LayersPattern needs LayersToTransform (PEFT: \"When `layers_pattern` is specified, `layers_to_transform` must also be specified\").", nameof(LayersPattern));
            if (LayersPattern.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("LayersPattern contains an empty name.", nameof(LayersPattern));
        }
        if (LoraBias && Init != LoraInit.KaimingUniform)
            throw new ArgumentException($"LoraBias needs Init = KaimingUniform (PEFT: \"lora_bias=True is only supported with init_lora_weights=True or False\"), got {Init}.", nameof(LoraBias));
        if (LoraBias && UseDora)
            throw new ArgumentException("LoraBias cannot be combined with UseDora (PEFT: \"lora_bias=True is not supported for DoRA\").", nameof(LoraBias));
        if (ExcludeModules is { Count: > 0 } && ExcludeModulesRegex is not null)
            throw new ArgumentException("Set only one of ExcludeModules and ExcludeModulesRegex.", nameof(ExcludeModules));
        if (ExcludeModules?.Any(string.IsNullOrWhiteSpace) == true)
            throw new ArgumentException("ExcludeModules contains an empty module name.", nameof(ExcludeModules));
        CheckRegex(ExcludeModulesRegex, nameof(ExcludeModulesRegex));
        foreach (var (key, rank) in RankPattern ?? new Dictionary<string, int>())
        {
            CheckRegex(key, nameof(RankPattern));
            if (rank < 1) throw new ArgumentException($"RankPattern['{key}'] must be at least 1, got {rank}.", nameof(RankPattern));
        }
        foreach (var (key, alpha) in AlphaPattern ?? new Dictionary<string, double>())
        {
            CheckRegex(key, nameof(AlphaPattern));
            if (!(alpha > 0) || double.IsInfinity(alpha)) throw new ArgumentException($"AlphaPattern['{key}'] must be a positive number, got {alpha}.", nameof(AlphaPattern));
        }
    }

    private static void CheckRegex(string? pattern, string option)
    {
        if (pattern is null) return;
        try { _ = new System.Text.RegularExpressions.Regex(pattern); }
        catch (ArgumentException e) { throw new ArgumentException($"{option} '{pattern}' is not a valid regular expression: {e.Message}", option, e); }
    }

    /// <summary>A copy (options are mutable; estimators keep their own).</summary>
    public LoraOptions Clone() => new()
    {
        Rank = Rank, Alpha = Alpha, Dropout = Dropout, TargetModules = TargetModules?.ToList(), TargetModulesRegex = TargetModulesRegex,
        TargetAllLinear = TargetAllLinear, LayersToTransform = LayersToTransform?.ToList(), UseRsLora = UseRsLora, Init = Init,
        ModulesToSave = ModulesToSave?.ToList(), LayersPattern = LayersPattern?.ToList(), ExcludeModules = ExcludeModules?.ToList(),
        ExcludeModulesRegex = ExcludeModulesRegex, UseDora = UseDora, LoraBias = LoraBias,
        RankPattern = RankPattern is null ? null : new Dictionary<string, int>(RankPattern),
        AlphaPattern = AlphaPattern is null ? null : new Dictionary<string, double>(AlphaPattern),
    };
}
