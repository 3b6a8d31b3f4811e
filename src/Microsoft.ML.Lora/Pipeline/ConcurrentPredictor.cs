using System.Runtime.ExceptionServices;

namespace Microsoft.ML.Lora;

/// <summary>
/// Predictions through one model from any number of threads at once (a web service's request threads, <c>Parallel.For</c>):
/// the thread-safe counterpart of <c>PredictionEngine</c>. Create it with
/// <c>mlContext.Model.CreateConcurrentPredictor&lt;TSrc, TDst&gt;(model)</c> and share the one instance.
/// </summary>
/// <remarks>
/// Calls that arrive while a batch is being scored wait and are scored together in the next batch — one forward pass for up
/// to <see cref="MaxBatchSize"/> rows, run by one of the waiting callers — so concurrent callers share the work instead of
/// each running a batch of one. Nothing waits for a timer: a call that arrives when nothing is scoring is scored at once.
/// Each caller gets the prediction of its own example (the same scores as <c>PredictionEngine</c>, up to float rounding
/// from batching), or the exception its example caused: a row that fails its batch is scored again alone, so one bad
/// example fails only its own call. The predictor holds no native memory of its own; the model stays the caller's to dispose.
/// </remarks>
/// <typeparam name="TSrc">The example type, as for <c>PredictionEngine</c>.</typeparam>
/// <typeparam name="TDst">The prediction type, as for <c>PredictionEngine</c>.</typeparam>
public sealed class ConcurrentPredictor<TSrc, TDst>
    where TSrc : class
    where TDst : class, new()
{
    private readonly MLContext ml = new(seed: 0);
    private readonly ITransformer model;
    private readonly object gate = new();
    private readonly Queue<Request> pending = new();
    private bool scoring;
    private long batches;

    internal ConcurrentPredictor(ITransformer model, int maxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxBatchSize < 1 || maxBatchSize > 4096)
            throw new ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize, "The batch size must be between 1 and 4096.");
        this.model = model;
        MaxBatchSize = maxBatchSize;
    }

    /// <summary>The most examples scored in one forward pass.</summary>
    public int MaxBatchSize { get; }

    /// <summary>Calls waiting to be scored (for tests).</summary>
    internal int Pending
    {
        get { lock (gate) return pending.Count; }
    }

    /// <summary>Batches scored so far (for tests).</summary>
    internal long Batches => Interlocked.Read(ref batches);

    /// <summary>The prediction for <paramref name="example"/>; safe to call from any number of threads at once.</summary>
    /// <param name="example">The example to score (not modified).</param>
    /// <returns>A new prediction object.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="example"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public TDst Predict(TSrc example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var request = new Request(example);
        bool lead;
        lock (gate)
        {
            pending.Enqueue(request);
            lead = !scoring;
            scoring = true;
        }
        // A call that does not lead waits until a batch has scored it, or until it is handed the next batch.
        if (!lead) request.WaitForTurn();
        if (!request.IsDone) ScoreNextBatch();
        return request.Outcome();
    }

    // Run by one thread at a time (the one whose call leads): its own request is at the head of the queue. Afterwards the
    // next waiting call scores the next batch, so no caller serves others for longer than one batch.
    private void ScoreNextBatch()
    {
        Request[] batch;
        lock (gate)
        {
            batch = new Request[Math.Min(pending.Count, MaxBatchSize)];
            for (int i = 0; i < batch.Length; i++) batch[i] = pending.Dequeue();
        }
        try
        {
            Interlocked.Increment(ref batches);
            Score(batch);
        }
        finally
        {
            lock (gate)
            {
                if (pending.Count > 0) pending.Peek().Lead();
                else scoring = false;
            }
        }
    }

    private void Score(Request[] batch)
    {
        try
        {
            var outputs = Transform(batch);
            for (int i = 0; i < batch.Length; i++) batch[i].Complete(outputs[i]);
        }
        catch (Exception) when (batch.Length > 1)
        {
            // One bad example fails the whole batch: score each alone, so only its own caller sees its error.
            foreach (var request in batch) Score([request]);
        }
        catch (Exception e)
        {
            batch[0].Fail(ExceptionDispatchInfo.Capture(e));
        }
    }

    private TDst[] Transform(Request[] batch)
    {
        var scored = model.Transform(ml.Data.LoadFromEnumerable(batch.Select(r => r.Example)));
        var outputs = ml.Data.CreateEnumerable<TDst>(scored, reuseRowObject: false).ToArray();
        if (outputs.Length != batch.Length)
            throw new InvalidOperationException(
                $"The model returned {outputs.Length} rows for {batch.Length} examples; a concurrent predictor needs a model that maps each row to one row.");
        return outputs;
    }

    private sealed class Request(TSrc example)
    {
        private readonly ManualResetEventSlim signal = new();
        private TDst? result;
        private ExceptionDispatchInfo? error;
        private volatile bool done;

        public TSrc Example => example;

        public bool IsDone => done;

        public void Complete(TDst value)
        {
            result = value;
            Finish();
        }

        public void Fail(ExceptionDispatchInfo e)
        {
            error = e;
            Finish();
        }

        /// <summary>Hands this request's thread the next batch.</summary>
        public void Lead() => signal.Set();

        public void WaitForTurn() => signal.Wait();

        public TDst Outcome()
        {
            error?.Throw();
            return result!;
        }

        private void Finish()
        {
            done = true;
            signal.Set();
        }
    }
}
