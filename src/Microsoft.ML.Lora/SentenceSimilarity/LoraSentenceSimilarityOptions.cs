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
    /// The head reads the mean of the last hidden state over the pair's tokens (sentence-transformers' mean pooling) instead
    /// of the first token ([CLS] / &lt;s&gt;, through BERT's pooler: Hugging Face's sequence-classification head). Null
    /// (default) = automatic: on for the embedded all-MiniLM-L6-v2 (unless <see cref="TrainPooler"/> is true), a
    /// mean-pooling sentence-transformer whose [CLS] and
    /// pooler were never trained to summarise the input (in short runs the mean learns several times faster; see
    /// bench/RESULTS.md); off for other checkpoints (set it for another mean-pooling sentence-transformer). The .zip, ONNX
    /// export and <c>FromPeftAdapter</c> keep the choice; a PEFT adapter of a mean-pooled head is a SEQ_CLS adapter plus
    /// <c>head_pooling.json</c>, and in Python its score is <c>classifier</c> applied to the masked mean of
    /// <c>last_hidden_state</c> rather than <c>AutoModelForSequenceClassification</c>'s logits (README, "Sentence similarity").
    /// </summary>
    public bool? MeanPooling { get; set; }

    /// <summary>
    /// Train BERT's pooler (dense + tanh on [CLS]) with the head and save it in the adapter. Null (default) = automatic: on
    /// for the embedded all-MiniLM-L6-v2, whose pooler was never tuned (sentence-transformers trains through mean pooling),
    /// and for checkpoints without pooler weights; off otherwise (PEFT's behaviour). Only for a head on the first token
    /// (<see cref="MeanPooling"/> false); ignored for RoBERTa and DistilBERT.
    /// </summary>
    public bool? TrainPooler { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrEmpty(Sentence2ColumnName))
            throw new ArgumentException("Sentence2ColumnName must be set: a similarity is scored on a pair of sentences.", nameof(Sentence2ColumnName));
        if (MeanPooling == true && TrainPooler == true)
            throw new ArgumentException("TrainPooler is true but MeanPooling is true too: a head on the mean of the tokens reads no pooler. Set one of them.", nameof(TrainPooler));
    }
}
