namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// Detects one <c>PredictionEngine</c> used from two threads at once, so that it throws instead of returning another
/// thread's scores.
/// </summary>
/// <remarks>
/// An engine keeps one input row: <c>Predict</c> stores the example in it and bumps its position, then reads the outputs,
/// which is when this library scores. A second thread's <c>Predict</c> in between replaces the example, so the first thread
/// would score the second one's input. What the scoring row can see, and what one thread using an engine never produces:
/// a second thread scoring while one is (<see cref="Enter"/>); the position moving while a row is scored; a position scored
/// by one thread being asked for by another (two predictions shared one input); a position skipped (an input replaced
/// before it was scored). The first three leave the engine's buffers in an unknown state, so the engine refuses all further
/// use; the last fails that one prediction. The check costs one uncontended lock per output read. It cannot see a race that
/// ends inside ML.NET's own copying of outputs, so it is a safety net, not a licence: many threads share a
/// <see cref="ConcurrentPredictor{TSrc, TDst}"/>.
/// </remarks>
internal sealed class ConcurrentUseGuard
{
    private readonly object gate = new();
    private int inside;   // managed id of the thread scoring now; 0 when none
    private long lastPosition = -1;
    private int lastThread;
    private string? broken;

    /// <summary>Starts scoring the row at <paramref name="position"/> (−1: unknown) on this thread; throws on concurrent use.</summary>
    public void Enter(long position)
    {
        int me = Environment.CurrentManagedThreadId;
        lock (gate)
        {
            if (broken is not null) throw Error(broken, unusable: true);
            if (inside != 0) throw Break("a second thread predicted while the first was scoring");
            if (position >= 0)
            {
                if (position == lastPosition && lastThread != me) throw Break("two threads' predictions read one input row");
                bool skipped = lastPosition >= 0 && position > lastPosition + 1;
                (lastPosition, lastThread) = (position, me);
                if (skipped) throw Error("another thread's input replaced this one before it was scored", unusable: false);
            }
            inside = me;
        }
    }

    /// <summary>Throws when another thread used the engine while this one scored the row at <paramref name="before"/>.</summary>
    public void CheckUnchanged(long before, long now)
    {
        lock (gate)
        {
            if (broken is not null) throw Error(broken, unusable: true);
            if (now != before) throw Break("another thread's input replaced this one while it was scored");
        }
    }

    /// <summary>Ends the scoring started by <see cref="Enter"/>.</summary>
    public void Exit()
    {
        lock (gate)
            if (inside == Environment.CurrentManagedThreadId) inside = 0;
    }

    private InvalidOperationException Break(string reason)
    {
        broken = reason;
        return Error(reason, unusable: true);
    }

    private static InvalidOperationException Error(string reason, bool unusable) => new(
        $"A PredictionEngine of a fine-tuned model was used from two threads at once ({reason}). PredictionEngine is not " +
        "thread-safe: use one engine per thread, or mlContext.Model.CreateConcurrentPredictor<TInput, TOutput>(model), which any " +
        "number of threads may share." + (unusable ? " This engine's results can no longer be trusted: create a new one." : ""));
}
