using Microsoft.ML.Data;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>A scorer seen without its row types: what <see cref="FineTunedTransformer"/> needs to serve ML.NET.</summary>
internal interface IRowScorer
{
    /// <summary>The schema of the scored data.</summary>
    DataViewSchema OutputSchema(DataViewSchema input);

    /// <summary><paramref name="input"/> plus the scored columns, scored <paramref name="lookAheadRows"/> rows at a time.</summary>
    IDataView ScoreInBatches(IDataView input, int lookAheadRows);

    /// <summary>Row-at-a-time scoring for PredictionEngine.</summary>
    IRowToRowMapper RowMapper(DataViewSchema input);
}

/// <summary>
/// What a task's scorer tells the shared scoring plumbing: which input columns it reads, how to read one row, how to
/// score many rows at once, and the output columns it adds (its task's <see cref="OutputSpec"/>s, bound). The plumbing
/// turns this into an IDataView that scores in batches and into an IRowToRowMapper for PredictionEngine.
/// </summary>
internal abstract class RowScorer<TInput, TOutput> : IRowScorer
{
    /// <summary>Input columns the scorer reads.</summary>
    public abstract IReadOnlyList<string> InputColumns { get; }

    /// <summary>The columns added to the input schema, in order.</summary>
    public abstract IReadOnlyList<OutputColumn<TOutput>> Outputs { get; }

    /// <summary>A reader of the current row's input; the row has <see cref="InputColumns"/> active.</summary>
    public abstract Func<TInput> CreateReader(DataViewRow row);

    /// <summary>Scores a batch of rows.</summary>
    public abstract TOutput[] Score(IReadOnlyList<TInput> inputs);

    /// <summary>The schema of the scored data: the input columns, then the outputs (which hide input columns of the same name).</summary>
    public DataViewSchema OutputSchema(DataViewSchema input)
    {
        var b = new DataViewSchema.Builder();
        b.AddColumns(input);
        foreach (var o in Outputs) b.AddColumn(o.Name, o.Type, o.Annotations);
        return b.ToSchema();
    }

    public IDataView ScoreInBatches(IDataView input, int lookAheadRows) => new BatchScoringDataView<TInput, TOutput>(input, this, lookAheadRows);

    public IRowToRowMapper RowMapper(DataViewSchema input) => new BatchScoringRowMapper<TInput, TOutput>(input, this);
}
