using Microsoft.ML.Data;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// The output of a fine-tuned transformer's <c>Transform</c>: the input columns plus the scored columns, computed in
/// batches. A second cursor over the input reads the next <c>batchSize</c> rows' text ahead of the row being served;
/// rows are then served one by one from the scored batch. Needs a re-readable input in a stable order (as ML.NET's are).
/// </summary>
internal sealed class BatchScoringDataView<TInput, TOutput> : IDataView
{
    private readonly IDataView input;
    private readonly RowScorer<TInput, TOutput> scorer;
    private readonly int batchSize;

    public BatchScoringDataView(IDataView input, RowScorer<TInput, TOutput> scorer, int batchSize)
    {
        this.input = input;
        this.scorer = scorer;
        this.batchSize = batchSize;
        Schema = scorer.OutputSchema(input.Schema);
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    // Batches need rows in order, so one cursor does all the work (ML.NET accepts fewer cursors than asked for).
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchScoringDataView<TInput, TOutput> parent;
        private readonly DataViewRowCursor main;
        private readonly HashSet<int> active;
        private readonly int inputCount;
        private DataViewRowCursor? ahead;
        private Func<TInput>? aheadReader;
        private TOutput[] cache = Array.Empty<TOutput>();
        private long cacheStart;
        private long aheadRows;   // rows the look-ahead cursor has passed (its Position is not defined once it is done)

        public Cursor(BatchScoringDataView<TInput, TOutput> parent, HashSet<int> active)
        {
            this.parent = parent;
            this.active = active;
            inputCount = parent.input.Schema.Count;
            main = parent.input.GetRowCursor(parent.input.Schema.Where(c => active.Contains(c.Index)));
        }

        public override DataViewSchema Schema => parent.Schema;
        public override long Position => main.Position;
        public override long Batch => main.Batch;
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);
        public override bool MoveNext() => main.MoveNext();
        public override ValueGetter<DataViewRowId> GetIdGetter() => main.GetIdGetter();

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!active.Contains(column.Index)) throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was made.");
            if (column.Index < inputCount) return main.GetGetter<TValue>(parent.input.Schema[column.Index]);
            var getter = parent.scorer.Outputs[column.Index - inputCount].MakeGetter(Current);
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is of type {column.Type}, not {typeof(TValue).Name}.");
        }

        private TOutput Current()
        {
            long p = main.Position;
            if (p < cacheStart || p >= cacheStart + cache.Length) Fill(p);
            return cache[p - cacheStart];
        }

        private void Fill(long position)
        {
            if (ahead is null)
            {
                ahead = parent.input.GetRowCursor(parent.scorer.InputColumns.Select(n => parent.input.Schema[n]));
                aheadReader = parent.scorer.CreateReader(ahead);
            }
            if (aheadRows > position)
                throw new InvalidOperationException("Rows must be read in order: the scored view does not go back.");
            while (aheadRows < position && ahead.MoveNext()) aheadRows++;   // rows nobody asked scores for
            var inputs = new List<TInput>(parent.batchSize);
            while (inputs.Count < parent.batchSize && ahead.MoveNext())
            {
                inputs.Add(aheadReader!());
                aheadRows++;
            }
            if (inputs.Count == 0 || aheadRows - inputs.Count != position)
                throw new InvalidOperationException("The input data view returned fewer rows on a second read; batch scoring needs a stable, re-readable input (cache the data view first).");
            cache = parent.scorer.Score(inputs);
            cacheStart = position;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                main.Dispose();
                ahead?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
