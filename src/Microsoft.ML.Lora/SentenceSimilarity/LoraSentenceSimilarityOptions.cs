namespace Microsoft.ML.Lora;

/// <summary>
/// Options of <see cref="LoraSentenceSimilarityEstimator"/>: the two text columns and the score label, plus everything in
/// <see cref="FineTuningOptions"/>. Defaults that differ from <see cref="FineTuningOptions"/>'s are the ones a cross-encoder
/// on sentence pairs needs: 4 epochs and at most 128 tokens per pair.
/// </summary>
public sealed class LoraSentenceSimilarityOptions : FineTuningOptions
{
    /// <summary>Sets the defaults for sentence pairs: <see cref="FineTuningOptions.Epochs"/> 4, <see cref="FineTuningOptions.MaxSequenceLength"/> 128.</summary>
    public LoraSentenceSimilarityOptions()
    {
        // STS-B pairs are 30 tokens on average and never reach 128 with MiniLM's vocabulary; 256 would only pad longer batches.
        MaxSequenceLength = 128;
        Epochs = 4;
    }

    /// <summary>
    /// Label column: the similarity of the pair, a Single (e.g. STS-B's 0–5). Any scale works: training learns the
    /// standardised label and the model outputs scores on the label's own scale. Default "Label".
    /// </summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>First sentence of the pair (String). Default "Sentence1".</summary>
    public string Sentence1ColumnName { get; set; } = "Sentence1";

    /// <summary>Second sentence of the pair (String). Default "Sentence2".</summary>
    public string Sentence2ColumnName { get; set; } = "Sentence2";

    /// <summary>Output: the predicted similarity, a Single on the label's scale. Default "Score" (what <c>mlContext.Regression.Evaluate</c> reads).</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>
    /// Train BERT's pooler (dense + tanh on [CLS]) with the head and save it in the adapter. Null (default) = automatic: on
    /// for the embedded all-MiniLM-L6-v2, whose pooler was never tuned (sentence-transformers trains through mean pooling),
    /// and for checkpoints without pooler weights; off otherwise (PEFT's behaviour). Ignored for RoBERTa and DistilBERT.
    /// </summary>
    public bool? TrainPooler { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrEmpty(Sentence2ColumnName))
            throw new ArgumentException("Sentence2ColumnName must be set: a similarity is scored on a pair of sentences.", nameof(Sentence2ColumnName));
    }
}
