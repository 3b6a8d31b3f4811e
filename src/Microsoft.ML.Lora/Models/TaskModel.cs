using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// An encoder plus a task head, laid out like Hugging Face's <c>*ForSequenceClassification</c> / <c>*ForTokenClassification</c>:
/// the encoder under <c>bert.</c> / <c>roberta.</c> / <c>distilbert.</c>, the head at the root (<c>classifier</c>, ...). With this
/// layout <c>state_dict()</c> keys are Hugging Face's and PEFT keys are <c>base_model.model.</c> + key.
/// </summary>
internal abstract class TaskModel : NamedModule
{
    private protected TaskModel(string name, EncoderModel encoder, int numLabels) : base(name)
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A task head needs at least one label.");
        Encoder = encoder;
        NumLabels = numLabels;
        register_module(encoder.Config.Names.Root, encoder);
    }

    /// <summary>The encoder.</summary>
    public EncoderModel Encoder { get; }

    /// <summary>Number of output classes (labels or tags).</summary>
    public int NumLabels { get; }

    /// <summary>Names of the head modules: always trained, and saved with an adapter (PEFT's <c>modules_to_save</c>).</summary>
    public abstract IReadOnlyList<string> HeadModules { get; }

    /// <summary>
    /// True when the Hugging Face model this task model stands for is the bare encoder (<c>AutoModel</c>, as for feature
    /// extraction), whose module names lack the encoder's root: <c>encoder.layer.0…</c> instead of <c>bert.encoder.layer.0…</c>.
    /// Set by whoever builds the model for a task; adapter name patterns are matched against <see cref="HuggingFaceName"/>.
    /// </summary>
    internal bool IsBareEncoder { get; set; }

    /// <summary>The name of module or tensor <paramref name="name"/> (as in <c>named_modules()</c>) in the Hugging Face model this stands for.</summary>
    public string HuggingFaceName(string name)
    {
        if (!IsBareEncoder) return name;
        string root = Encoder.Config.Names.Root;
        return name == root ? "" : name.StartsWith(root + ".", StringComparison.Ordinal) ? name[(root.Length + 1)..] : name;
    }

    /// <summary>Logits: [batch, labels] for sequence tasks, [batch, length, labels] for token tasks.</summary>
    public abstract Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null);

    /// <summary>Children are registered by hand: the encoder's name depends on the architecture.</summary>
    protected override void RegisterComponents() { }

    /// <summary>
    /// Registers a module a fine-tuning method adds beside the encoder and the head (prefix tuning's <c>prefix_encoder</c>),
    /// so its parameters are in <c>state_dict()</c> (saved and loaded) and <c>named_parameters()</c> (optimised). It is not a
    /// head module: the method decides whether it trains.
    /// </summary>
    /// <exception cref="InvalidOperationException">A child of that name exists already (the method was applied twice).</exception>
    internal void AddMethodModule(string name, nn.Module module)
    {
        if (named_children().Any(c => c.name == name))
            throw new InvalidOperationException($"{GetType().Name} already has a module '{name}': a fine-tuning method can be applied once.");
        register_module(name, module);
    }

    private protected T AddHead<T>(string name, T module) where T : nn.Module
    {
        WeightInit.BertInit(module);
        register_module(name, module);
        return module;
    }
}
