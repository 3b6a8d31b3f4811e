using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace SentimentAnalyst.Backtest;

/// <summary>
/// Scores texts with a saved sentiment model.zip (the sample's, or any ML.NET model that reads a <c>Text</c> column and
/// writes a <c>Score</c> vector whose slot names include Bullish and Bearish) through one batched <c>Transform</c>: the
/// library sorts each look-ahead window by length and scores it in batches, the results come back in input order.
/// </summary>
public sealed class TweetScorer
{
    private const int ProgressEvery = 256;

    private readonly MLContext ml;
    private readonly ITransformer model;
    private readonly int bullish, bearish;

    private TweetScorer(MLContext ml, ITransformer model, IReadOnlyList<string> classNames, int bullish, int bearish)
    {
        this.ml = ml;
        this.model = model;
        ClassNames = classNames;
        this.bullish = bullish;
        this.bearish = bearish;
    }

    /// <summary>The model's classes, in the order of its <c>Score</c> slots.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Loads <paramref name="path"/> and checks that it is a sentiment model with Bullish and Bearish classes.</summary>
    /// <exception cref="InvalidDataException">Not an ML.NET model; no <c>Text</c> input; no <c>Score</c> vector with class names; no Bullish or Bearish class (the message lists the classes it has).</exception>
    public static TweetScorer Load(string path)
    {
        var ml = new MLContext();
        ITransformer model;
        DataViewSchema? input;
        try
        {
            model = ml.Model.Load(path, out input);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: cannot load it as an ML.NET model ({e.Message}); expected the model.zip the sample saves.", e);
        }
        if (input?.GetColumnOrNull(nameof(ModelInput.Text)) is not { Type: TextDataViewType })
        {
            string columns = input is null ? "no input schema" : "input columns " + string.Join(", ", input.Select(c => $"'{c.Name}' ({c.Type})"));
            throw new InvalidDataException($"{path}: the model must read a text column 'Text'; it has {columns}.");
        }
        var output = model.GetOutputSchema(input);
        var classNames = ClassNamesOf(output, path);
        int bullish = IndexOf(classNames, "Bullish"), bearish = IndexOf(classNames, "Bearish");
        if (bullish < 0 || bearish < 0)
            throw new InvalidDataException($"{path} is not a sentiment model with Bullish and Bearish classes: its classes are {string.Join(", ", classNames.Select(n => $"'{n}'"))}. "
                + "Train one with the sample (dotnet run --project samples/SentimentAnalyst, or --label-names to name your labels Bullish/Bearish).");
        return new TweetScorer(ml, model, classNames, bullish, bearish);
    }

    /// <summary>P(Bullish) and P(Bearish) of every text, in order; <paramref name="progress"/> gets the number done now and then.</summary>
    public TweetScores[] Score(IReadOnlyList<string> texts, IProgress<int>? progress = null)
    {
        var view = ml.Data.LoadFromEnumerable(texts.Select(t => new ModelInput { Text = t }));
        var scored = model.Transform(view);
        var scoreColumn = scored.Schema[nameof(ModelOutput.Score)];
        var result = new TweetScores[texts.Count];
        using var cursor = scored.GetRowCursor([scoreColumn]);
        var getScore = cursor.GetGetter<VBuffer<float>>(scoreColumn);
        var score = default(VBuffer<float>);
        int row = 0;
        while (cursor.MoveNext())
        {
            getScore(ref score);
            var values = score.GetValues();
            Debug.Assert(score.IsDense && values.Length == ClassNames.Count);
            result[row++] = new TweetScores(values[bullish], values[bearish]);
            if (row % ProgressEvery == 0) progress?.Report(row);
        }
        if (row != texts.Count) throw new InvalidOperationException($"The model returned {row} scores for {texts.Count} texts.");
        progress?.Report(row);
        return result;
    }

    private static string[] ClassNamesOf(DataViewSchema output, string path)
    {
        var score = output.GetColumnOrNull(nameof(ModelOutput.Score));
        if (score is not { Type: VectorDataViewType { ItemType: NumberDataViewType, Size: > 1 } vector } || vector.ItemType != NumberDataViewType.Single)
            throw new InvalidDataException($"{path}: the model must write a 'Score' column of class probabilities (a vector of Single); it writes {string.Join(", ", output.Select(c => $"'{c.Name}' ({c.Type})"))}.");
        if (score.Value.Annotations.Schema.GetColumnOrNull("SlotNames") is null)
            throw new InvalidDataException($"{path}: the model's 'Score' column has no slot names, so its classes are unknown; expected slot names such as Bearish, Bullish, Neutral.");
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        score.Value.GetSlotNames(ref slotNames);
        return slotNames.DenseValues().Select(n => n.ToString()).ToArray();
    }

    private static int IndexOf(string[] names, string wanted) => Array.FindIndex(names, n => string.Equals(n.Trim(), wanted, StringComparison.OrdinalIgnoreCase));
}
