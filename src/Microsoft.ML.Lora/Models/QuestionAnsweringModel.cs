using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Extractive question answering as Hugging Face's <c>*ForQuestionAnswering</c>: <c>qa_outputs</c> (Linear(hidden, 2), no
/// dropout) on every token's last hidden state gives a start and an end logit per token, [batch, length, 2].
/// </summary>
internal sealed class QuestionAnsweringModel : TaskModel
{
    /// <summary>Start and end: the head's two outputs per token.</summary>
    public const int Outputs = 2;

    private readonly nn.Module<Tensor, Tensor> qa_outputs;

    /// <summary>Adds a freshly initialised span head to <paramref name="encoder"/>.</summary>
    public QuestionAnsweringModel(EncoderModel encoder) : base("QuestionAnsweringModel", encoder, Outputs)
        => qa_outputs = AddHead("qa_outputs", nn.Linear(encoder.Config.HiddenSize, Outputs));

    /// <inheritdoc/>
    public override IReadOnlyList<string> HeadModules { get; } = new[] { "qa_outputs" };

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
        => qa_outputs.forward(Encoder.Encode(inputIds, attentionMask, tokenTypeIds));
}
