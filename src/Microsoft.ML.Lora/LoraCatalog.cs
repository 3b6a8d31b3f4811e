using Microsoft.ML.Data;
using Microsoft.ML.Lora;
using Microsoft.ML.Lora.Ner;
using Microsoft.ML.Lora.QuestionAnswering;
using Microsoft.ML.Lora.SentenceSimilarity;

namespace Microsoft.ML;

/// <summary>Entry points of Microsoft.ML.Lora on ML.NET's catalogs.</summary>
public static class LoraCatalog
{
    /// <summary>Fine-tunes a pretrained encoder (LoRA by default) to classify text; see <see cref="LoraTextClassificationOptions"/>.</summary>
    public static LoraTextClassificationEstimator LoraFineTune(this TransformsCatalog catalog, LoraTextClassificationOptions options)
        => new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// LoRA text classification as a multiclass trainer: the label column must be a key type (<c>MapValueToKey</c>); outputs
    /// <paramref name="scoreColumnName"/> (class probabilities) and <paramref name="predictedLabelColumnName"/> (key).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">Key-typed label column.</param>
    /// <param name="sentence1ColumnName">Text column.</param>
    /// <param name="sentence2ColumnName">Optional second text column (sentence pairs).</param>
    /// <param name="scoreColumnName">Output probabilities column.</param>
    /// <param name="predictedLabelColumnName">Output predicted label column.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Examples per step.</param>
    /// <param name="learningRate">Peak learning rate; null = LoRA's default (5e-4).</param>
    /// <param name="lora">LoRA settings; null = PEFT's defaults (r = 8 on query and value).</param>
    /// <param name="validationSet">Optional validation data (per-epoch metric, best epoch kept).</param>
    public static LoraTextClassificationEstimator LoraTextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = DefaultColumnNames.Label, string sentence1ColumnName = "Sentence1", string? sentence2ColumnName = null,
        string scoreColumnName = DefaultColumnNames.Score, string predictedLabelColumnName = DefaultColumnNames.PredictedLabel,
        int epochs = 3, int batchSize = 32, double? learningRate = null, LoraOptions? lora = null, IDataView? validationSet = null)
        => new(CatalogUtils.GetEnvironment(catalog), new LoraTextClassificationOptions
        {
            LabelColumnName = labelColumnName, Sentence1ColumnName = sentence1ColumnName, Sentence2ColumnName = sentence2ColumnName,
            ScoreColumnName = scoreColumnName, PredictedLabelColumnName = predictedLabelColumnName, Epochs = epochs, BatchSize = batchSize,
            LearningRate = learningRate, Method = FineTuningMethod.Lora(lora), ValidationSet = validationSet,
        });

    /// <summary>
    /// Fine-tunes a pretrained encoder (LoRA by default) into a sentence embedder (mean pooling, unit length) on sentence
    /// pairs; see <see cref="LoraSentenceEmbeddingOptions"/>.
    /// </summary>
    public static LoraSentenceEmbeddingEstimator LoraFineTune(this TransformsCatalog catalog, LoraSentenceEmbeddingOptions options)
        => new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// Fine-tunes a pretrained encoder (LoRA by default) to tag named entities, one tag per word; see <see cref="LoraNerOptions"/>.
    /// </summary>
    public static LoraNerEstimator LoraFineTune(this TransformsCatalog catalog, LoraNerOptions options)
        => new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// LoRA named-entity recognition (token classification): one tag per word. Outputs <paramref name="predictedLabelColumnName"/>
    /// (a key vector whose key values are the IOB2 tags) and a per-word <c>Confidence</c>.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">Tags, one per word: a vector of String, or a vector of key (MapValueToKey on such a vector).</param>
    /// <param name="sentenceColumnName">A String column (split into words on whitespace) or a vector of String (the words).</param>
    /// <param name="predictedLabelColumnName">Output predicted tags column.</param>
    /// <param name="labelScheme">The scheme of the labels (IOB2, IOB1, IO or BIOES); they are converted to IOB2.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Sentences (windows) per step.</param>
    /// <param name="learningRate">Peak learning rate; null = LoRA's default (5e-4).</param>
    /// <param name="lora">LoRA settings; null = PEFT's defaults (r = 8 on query and value).</param>
    /// <param name="validationSet">Optional validation data (per-epoch entity F1, best epoch kept).</param>
    public static LoraNerEstimator LoraNer(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = DefaultColumnNames.Label, string sentenceColumnName = "Sentence",
        string predictedLabelColumnName = DefaultColumnNames.PredictedLabel, TagScheme labelScheme = TagScheme.Iob2,
        int epochs = 3, int batchSize = 32, double? learningRate = null, LoraOptions? lora = null, IDataView? validationSet = null)
        => new(CatalogUtils.GetEnvironment(catalog), new LoraNerOptions
        {
            LabelColumnName = labelColumnName, SentenceColumnName = sentenceColumnName, PredictedLabelColumnName = predictedLabelColumnName,
            LabelScheme = labelScheme, Epochs = epochs, BatchSize = batchSize, LearningRate = learningRate,
            Method = FineTuningMethod.Lora(lora), ValidationSet = validationSet,
        });

    /// <summary>
    /// Entity-level precision, recall and F1 (micro and per type, as conlleval and seqeval define them) and token accuracy of
    /// tagged data, e.g. the output of a <see cref="LoraNerTransformer"/>. Gold tags are converted from
    /// <paramref name="labelScheme"/> to IOB2; predictions are repaired into valid IOB2 first.
    /// </summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="data">Rows with a gold and a predicted tag vector of the same length.</param>
    /// <param name="labelColumnName">Gold tags: a vector of String, or a vector of key with String key values.</param>
    /// <param name="predictedLabelColumnName">Predicted tags, of either of the same types.</param>
    /// <param name="labelScheme">The scheme of the gold tags.</param>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it).</exception>
    /// <exception cref="InvalidDataException">A row's tag counts differ or a tag is invalid (the message names the row).</exception>
    public static NerMetrics EvaluateNer(this MulticlassClassificationCatalog catalog, IDataView data,
        string labelColumnName = DefaultColumnNames.Label, string predictedLabelColumnName = DefaultColumnNames.PredictedLabel,
        TagScheme labelScheme = TagScheme.Iob2)
        => NerDataViewEvaluator.Evaluate(data, labelColumnName, predictedLabelColumnName, labelScheme);

    /// <summary>
    /// Fine-tunes a pretrained encoder (LoRA by default) into a cross-encoder that scores the similarity of two sentences;
    /// see <see cref="LoraSentenceSimilarityOptions"/>.
    /// </summary>
    public static LoraSentenceSimilarityEstimator LoraFineTune(this TransformsCatalog catalog, LoraSentenceSimilarityOptions options)
        => new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// LoRA sentence similarity as a regression trainer: a cross-encoder reads both sentences and outputs
    /// <paramref name="scoreColumnName"/>, a Single on the scale of the Single label (e.g. STS-B's 0–5).
    /// </summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">Single label: the pair's similarity.</param>
    /// <param name="sentence1ColumnName">First sentence column.</param>
    /// <param name="sentence2ColumnName">Second sentence column.</param>
    /// <param name="scoreColumnName">Output similarity column.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Pairs per step.</param>
    /// <param name="learningRate">Peak learning rate; null = the method's default (LoRA 5e-4).</param>
    /// <param name="lora">LoRA settings; null = PEFT's defaults (r = 8 on query and value).</param>
    /// <param name="validationSet">Optional validation data (per-epoch Spearman, best epoch kept).</param>
    public static LoraSentenceSimilarityEstimator LoraSentenceSimilarity(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = DefaultColumnNames.Label, string sentence1ColumnName = "Sentence1", string sentence2ColumnName = "Sentence2",
        string scoreColumnName = DefaultColumnNames.Score, int epochs = 4, int batchSize = 32, double? learningRate = null, LoraOptions? lora = null,
        IDataView? validationSet = null)
        => new(CatalogUtils.GetEnvironment(catalog), new LoraSentenceSimilarityOptions
        {
            LabelColumnName = labelColumnName, Sentence1ColumnName = sentence1ColumnName, Sentence2ColumnName = sentence2ColumnName,
            ScoreColumnName = scoreColumnName, Epochs = epochs, BatchSize = batchSize, LearningRate = learningRate,
            Method = FineTuningMethod.Lora(lora), ValidationSet = validationSet,
        });

    /// <summary>
    /// Pearson and Spearman correlation of predicted and gold similarities (STS-B's metrics), e.g. of the output of a
    /// <see cref="LoraSentenceSimilarityTransformer"/>; <c>mlContext.Regression.Evaluate</c> gives MSE, MAE and R² of the same columns.
    /// </summary>
    /// <param name="catalog">The regression catalog.</param>
    /// <param name="data">Scored rows.</param>
    /// <param name="labelColumnName">Gold similarity (Single).</param>
    /// <param name="scoreColumnName">Predicted similarity (Single).</param>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or not Single (the message names it).</exception>
    /// <exception cref="InvalidDataException">A row's label or score is not finite (the message names the row and column).</exception>
    public static SimilarityMetrics EvaluateSimilarity(this RegressionCatalog catalog, IDataView data,
        string labelColumnName = DefaultColumnNames.Label, string scoreColumnName = DefaultColumnNames.Score)
        => SimilarityEvaluator.Evaluate(data, labelColumnName, scoreColumnName);

    /// <summary>
    /// Fine-tunes a pretrained encoder (LoRA by default) for extractive question answering: the span of a context that
    /// answers a question; see <see cref="LoraQuestionAnsweringOptions"/>.
    /// </summary>
    public static LoraQuestionAnsweringEstimator LoraFineTune(this TransformsCatalog catalog, LoraQuestionAnsweringOptions options)
        => new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// LoRA extractive question answering (SQuAD v1.1) as a trainer: reads a context and a question (String) and, for
    /// training, the answer and its first character in the context; outputs <paramref name="predictedAnswerColumnName"/>
    /// (an exact substring of the context), <c>AnswerStart</c> (Int32) and <paramref name="scoreColumnName"/> (Single).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog (where ML.NET keeps its own question-answering trainer).</param>
    /// <param name="contextColumnName">The passage (String).</param>
    /// <param name="questionColumnName">The question (String).</param>
    /// <param name="answerColumnName">The gold answer: a String, or a vector of String whose first item is trained on.</param>
    /// <param name="answerStartColumnName">The answer's first character in the context: an integer, or a vector of them.</param>
    /// <param name="predictedAnswerColumnName">Output predicted answer column.</param>
    /// <param name="scoreColumnName">Output answer probability column.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Windows per step.</param>
    /// <param name="learningRate">Peak learning rate; null = LoRA's default (5e-4).</param>
    /// <param name="lora">LoRA settings; null = PEFT's defaults (r = 8 on query and value).</param>
    /// <param name="validationSet">Optional validation data with the same columns (per-epoch SQuAD F1, best epoch kept).</param>
    public static LoraQuestionAnsweringEstimator LoraQuestionAnswering(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string contextColumnName = "Context", string questionColumnName = "Question", string answerColumnName = "Answers",
        string answerStartColumnName = "AnswerStarts", string predictedAnswerColumnName = "Answer", string scoreColumnName = DefaultColumnNames.Score,
        int epochs = 2, int batchSize = 32, double? learningRate = null, LoraOptions? lora = null, IDataView? validationSet = null)
        => new(CatalogUtils.GetEnvironment(catalog), new LoraQuestionAnsweringOptions
        {
            ContextColumnName = contextColumnName, QuestionColumnName = questionColumnName, AnswerColumnName = answerColumnName,
            AnswerStartColumnName = answerStartColumnName, PredictedAnswerColumnName = predictedAnswerColumnName, ScoreColumnName = scoreColumnName,
            Epochs = epochs, BatchSize = batchSize, LearningRate = learningRate, Method = FineTuningMethod.Lora(lora), ValidationSet = validationSet,
        });

    /// <summary>
    /// The official SQuAD v1.1 exact match and F1 (in percent) of answered data, e.g. the output of a
    /// <see cref="LoraQuestionAnsweringTransformer"/>: each predicted answer against its row's reference answers (the best
    /// counts), after normalisation (lower-case, punctuation and articles removed, whitespace collapsed).
    /// </summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="data">Rows with the references and a predicted answer.</param>
    /// <param name="referencesColumnName">The reference answers: a vector of String (SQuAD's dev set has 1–6 per question) or a String.</param>
    /// <param name="predictedAnswerColumnName">The predicted answer (String).</param>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it).</exception>
    /// <exception cref="InvalidDataException">A row has no reference answer (the message names the row).</exception>
    public static QuestionAnsweringMetrics EvaluateQuestionAnswering(this MulticlassClassificationCatalog catalog, IDataView data,
        string referencesColumnName = "Answers", string predictedAnswerColumnName = "Answer")
        => QuestionAnsweringEvaluator.Evaluate(data, referencesColumnName, predictedAnswerColumnName);

    /// <summary>
    /// A predictor that any number of threads may share: concurrent calls are scored together in batches (see
    /// <see cref="ConcurrentPredictor{TSrc, TDst}"/>). <c>PredictionEngine</c> serves one thread at a time; use this for a
    /// web service or a <c>Parallel.For</c>.
    /// </summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The model, e.g. what <c>Fit</c> or <c>Model.Load</c> returned; any ITransformer that maps each row to one row.</param>
    /// <param name="maxBatchSize">The most examples scored in one forward pass (1 to 4,096).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatchSize"/> is outside 1 to 4,096.</exception>
    public static ConcurrentPredictor<TSrc, TDst> CreateConcurrentPredictor<TSrc, TDst>(this ModelOperationsCatalog catalog, ITransformer model,
        int maxBatchSize = 32)
        where TSrc : class
        where TDst : class, new()
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ConcurrentPredictor<TSrc, TDst>(model, maxBatchSize);
    }
}
