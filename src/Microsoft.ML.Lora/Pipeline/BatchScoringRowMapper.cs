using Microsoft.ML.Data;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// Row-at-a-time scoring for <c>PredictionEngine</c> (a batch of one), caching the result while the row does not change.
/// A row serves one engine, and an engine one thread at a time: <see cref="ConcurrentUseGuard"/> turns use from two threads
/// at once into an exception instead of another row's scores.
/// </summary>
internal sealed class BatchScoringRowMapper<TInput, TOutput> : IRowToRowMapper
{
    private readonly RowScorer<TInput, TOutput> scorer;

    public BatchScoringRowMapper(DataViewSchema inputSchema, RowScorer<TInput, TOutput> scorer)
    {
        InputSchema = inputSchema;
        this.scorer = scorer;
        OutputSchema = scorer.OutputSchema(inputSchema);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var result = new List<DataViewSchema.Column>();
        bool outputs = false;
        foreach (var c in dependingColumns)
        {
            if (c.Index < InputSchema.Count) result.Add(InputSchema[c.Index]);
            else outputs = true;
        }
        if (outputs) result.AddRange(scorer.InputColumns.Select(n => InputSchema[n]));
        return result.DistinctBy(c => c.Index);
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        => new Row(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    private sealed class Row : DataViewRow
    {
        private readonly BatchScoringRowMapper<TInput, TOutput> parent;
        private readonly DataViewRow input;
        private readonly HashSet<int> active;
        private readonly ConcurrentUseGuard guard = new();
        private Func<TInput>? reader;
        private long cachedPosition = -1, cachedBatch = -1;
        private TOutput? cached;

        public Row(BatchScoringRowMapper<TInput, TOutput> parent, DataViewRow input, HashSet<int> active)
        {
            this.parent = parent;
            this.input = input;
            this.active = active;
        }

        public override DataViewSchema Schema => parent.OutputSchema;
        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = parent.InputSchema.Count;
            if (column.Index < inputCount) return input.GetGetter<TValue>(parent.InputSchema[column.Index]);
            var getter = parent.scorer.Outputs[column.Index - inputCount].MakeGetter(Current);
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is of type {column.Type}, not {typeof(TValue).Name}.");
        }

        private TOutput Current()
        {
            long position = input.Position;
            // PredictionEngine reuses one row object and bumps Position per prediction; -1 means "unknown", so never cache then.
            guard.Enter(position);
            try
            {
                if (cached is not null && position == cachedPosition && input.Batch == cachedBatch && position >= 0) return cached;
                reader ??= parent.scorer.CreateReader(input);
                var result = parent.scorer.Score(new[] { reader() })[0];
                guard.CheckUnchanged(position, input.Position);
                (cached, cachedPosition, cachedBatch) = (result, position, input.Batch);
                return result;
            }
            finally { guard.Exit(); }
        }
    }
}
