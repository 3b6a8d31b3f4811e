using Microsoft.ML.Lora.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Lora;

/// <summary>
/// Hugging Face's <c>*ForQuestionAnswering</c> for the tests until the question-answering task lands: the encoder (no pooler)
/// and <c>qa_outputs</c> (Linear(H, 2): start and end logits per token).
/// </summary>
internal sealed class QuestionAnsweringTestModel : TaskModel
{
    private readonly nn.Module<Tensor, Tensor> qa_outputs;

    public QuestionAnsweringTestModel(EncoderModel encoder) : base("QuestionAnsweringTestModel", encoder, 2)
    {
        qa_outputs = nn.Linear(encoder.Config.HiddenSize, 2);
        register_module("qa_outputs", qa_outputs);
    }

    public override IReadOnlyList<string> HeadModules { get; } = new[] { "qa_outputs" };

    /// <summary>[batch, length, 2]: start and end logits.</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
        => qa_outputs.forward(Encoder.Encode(inputIds, attentionMask, tokenTypeIds));
}
