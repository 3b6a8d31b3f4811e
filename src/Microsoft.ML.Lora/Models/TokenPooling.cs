namespace Microsoft.ML.Lora.Models;

/// <summary>What a sequence head reads of the encoder's last hidden state.</summary>
internal enum TokenPooling
{
    /// <summary>The first token ([CLS] / &lt;s&gt;), as Hugging Face's <c>*ForSequenceClassification</c> heads.</summary>
    FirstToken,
    /// <summary>
    /// The mean over the real tokens, as sentence-transformers pools a mean-pooling model such as all-MiniLM-L6-v2 (whose
    /// first token and pooler were never trained to summarise the input). No pooler is read.
    /// </summary>
    Mean,
}
