namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// One of PEFT's task types, with what PEFT itself does for it: the name in <c>adapter_config.json</c>, the head modules
/// PEFT adds to <c>modules_to_save</c> on its own (its <c>PeftModelFor…</c> classes do), and whether the adapter's keys are
/// those of the bare encoder (<c>AutoModel</c>: <c>base_model.model.encoder.layer.0…</c>) instead of the task model
/// (<c>base_model.model.bert.encoder.layer.0…</c>). A task picks its type; the adapter code only reads it.
/// </summary>
/// <param name="Name">PEFT's name of the task type.</param>
/// <param name="ImplicitModulesToSave">The head modules PEFT adds to <c>modules_to_save</c> for it.</param>
/// <param name="EncoderRelativeKeys">Keys (and module names) are those of the bare encoder (<c>AutoModel</c>).</param>
/// <param name="ArchitectureSuffix">The Hugging Face class after the architecture's prefix: "ForSequenceClassification" → <c>BertForSequenceClassification</c>; "Model" → <c>BertModel</c>.</param>
internal sealed record PeftTaskType(string Name, IReadOnlyList<string> ImplicitModulesToSave, bool EncoderRelativeKeys, string ArchitectureSuffix = "Model")
{
    /// <summary>Prefix PEFT puts in front of every key.</summary>
    public const string KeyPrefix = "base_model.model.";

    /// <summary><c>SEQ_CLS</c> (<c>PeftModelForSequenceClassification</c>).</summary>
    public static PeftTaskType SequenceClassification { get; } = new("SEQ_CLS", new[] { "classifier", "score" }, false, "ForSequenceClassification");

    /// <summary><c>TOKEN_CLS</c> (<c>PeftModelForTokenClassification</c>).</summary>
    public static PeftTaskType TokenClassification { get; } = new("TOKEN_CLS", new[] { "classifier", "score" }, false, "ForTokenClassification");

    /// <summary><c>QUESTION_ANS</c> (<c>PeftModelForQuestionAnswering</c>).</summary>
    public static PeftTaskType QuestionAnswering { get; } = new("QUESTION_ANS", new[] { "qa_outputs" }, false, "ForQuestionAnswering");

    /// <summary><c>FEATURE_EXTRACTION</c> (<c>PeftModelForFeatureExtraction</c> on an <c>AutoModel</c>).</summary>
    public static PeftTaskType FeatureExtraction { get; } = new("FEATURE_EXTRACTION", Array.Empty<string>(), true, "Model");

    /// <summary>Every task type this library knows, by PEFT's name.</summary>
    public static IReadOnlyList<PeftTaskType> All { get; } = new[] { SequenceClassification, TokenClassification, QuestionAnswering, FeatureExtraction };

    /// <summary>The Hugging Face class of a model of this task type on <paramref name="config"/>'s architecture (<c>DistilBertForTokenClassification</c>).</summary>
    public string Architecture(Models.EncoderConfig config) => config.HuggingFaceClassPrefix + ArchitectureSuffix;

    /// <summary>The PEFT key of tensor <paramref name="name"/> of a task model's <c>state_dict()</c> whose encoder sits under <paramref name="encoderRoot"/> (<c>bert</c>, ...).</summary>
    public string ToPeftKey(string encoderRoot, string name)
    {
        string root = encoderRoot + ".";
        return KeyPrefix + (EncoderRelativeKeys && name.StartsWith(root, StringComparison.Ordinal) ? name[root.Length..] : name);
    }

    /// <summary>The task model's <c>state_dict()</c> name of PEFT key <paramref name="key"/>; false when the key lacks PEFT's prefix.</summary>
    public bool TryFromPeftKey(string encoderRoot, string key, out string name)
    {
        name = "";
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal)) return false;
        name = key[KeyPrefix.Length..];
        if (EncoderRelativeKeys) name = encoderRoot + "." + name;
        return true;
    }
}
