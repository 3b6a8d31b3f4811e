namespace Microsoft.ML.Lora.Models;

/// <summary>The encoder families this library implements, each with its Hugging Face module names.</summary>
internal enum EncoderArchitecture
{
    /// <summary>BERT and models that are BERT (MiniLM, BioBERT, FinBERT, ...). Hugging Face <c>model_type</c> "bert".</summary>
    Bert,
    /// <summary>RoBERTa (and XLM-R, CamemBERT): BERT layers, position ids offset by <c>padding_idx + 1</c>, no token types.</summary>
    Roberta,
    /// <summary>DistilBERT: its own parameter names (<c>q_lin</c>, <c>ffn.lin1</c>, ...), no token types, no pooler.</summary>
    DistilBert,
}

/// <summary>
/// Where each role lives in an architecture's Hugging Face module tree. Fine-tuning methods address modules through these
/// roles so that one LoRA / adapter / prefix implementation (and the ONNX export's layer) serves every architecture.
/// </summary>
internal sealed record ArchitectureModuleNames(
    string Root,
    string LayerList,
    string Query,
    string Key,
    string Value,
    string AttentionOutput,
    string FeedForwardIn,
    string FeedForwardOut)
{
    /// <summary>Module names of a given architecture (relative to a layer, except <see cref="Root"/> and <see cref="LayerList"/>).</summary>
    public static ArchitectureModuleNames For(EncoderArchitecture architecture) => architecture switch
    {
        EncoderArchitecture.Bert => Bert,
        EncoderArchitecture.Roberta => Bert with { Root = "roberta" },
        EncoderArchitecture.DistilBert => new("distilbert", "transformer.layer", "attention.q_lin", "attention.k_lin", "attention.v_lin",
            "attention.out_lin", "ffn.lin1", "ffn.lin2"),
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "Unknown encoder architecture."),
    };

    private static readonly ArchitectureModuleNames Bert = new("bert", "encoder.layer", "attention.self.query", "attention.self.key",
        "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense");

    /// <summary>The default LoRA targets PEFT uses for this architecture (query and value projections).</summary>
    public IReadOnlyList<string> DefaultLoraTargets => new[] { Query[(Query.LastIndexOf('.') + 1)..], Value[(Value.LastIndexOf('.') + 1)..] };
}
