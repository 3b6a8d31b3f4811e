using Microsoft.ML.Lora.Pipeline;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Concurrency;

/// <summary>The rules of <see cref="ConcurrentUseGuard"/>, call by call: what one thread at a time never triggers, and what two do.</summary>
public class ConcurrentUseGuardTests
{
    private static void Score(ConcurrentUseGuard guard, long position)
    {
        guard.Enter(position);
        try { guard.CheckUnchanged(position, position); }
        finally { guard.Exit(); }
    }

    private static void OnOtherThread(Action action)
    {
        Exception? error = null;
        var t = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { error = e; }
        });
        t.Start();
        t.Join();
        if (error is not null) throw error;
    }

    [Fact]
    public void OneThreadReadingEachRowOnceOrSeveralTimesPasses()
    {
        var guard = new ConcurrentUseGuard();
        foreach (var p in new long[] { 0, 0, 1, 2, 2, 2, 3 }) Score(guard, p);
    }

    [Fact]
    public void AnEngineHandedToAnotherThreadForTheNextRowPasses()
    {
        var guard = new ConcurrentUseGuard();
        Score(guard, 0);
        OnOtherThread(() => Score(guard, 1));
        Score(guard, 2);
    }

    [Fact]
    public void UnknownPositionsAreNotComparedAcrossThreads()
    {
        var guard = new ConcurrentUseGuard();
        Score(guard, -1);
        OnOtherThread(() => Score(guard, -1));
    }

    [Fact]
    public void ARowScoredByOneThreadAndAskedForByAnotherBreaksTheEngine()
    {
        var guard = new ConcurrentUseGuard();
        Score(guard, 0);
        Score(guard, 1);
        var ex = Assert.Throws<InvalidOperationException>(() => OnOtherThread(() => Score(guard, 1)));
        Assert.Contains("two threads' predictions read one input row", ex.Message);
        Assert.Contains("create a new one", Assert.Throws<InvalidOperationException>(() => Score(guard, 2)).Message);
    }

    [Fact]
    public void ASkippedRowFailsThatPredictionOnly()
    {
        var guard = new ConcurrentUseGuard();
        Score(guard, 0);
        var ex = Assert.Throws<InvalidOperationException>(() => Score(guard, 2));
        Assert.Contains("replaced this one before it was scored", ex.Message);
        Assert.DoesNotContain("create a new one", ex.Message);
        Score(guard, 3);
    }

    [Fact]
    public void ThePositionMovingWhileARowIsScoredBreaksTheEngine()
    {
        var guard = new ConcurrentUseGuard();
        guard.Enter(0);
        var ex = Assert.Throws<InvalidOperationException>(() => guard.CheckUnchanged(0, 1));
        guard.Exit();
        Assert.Contains("while it was scored", ex.Message);
        Assert.Throws<InvalidOperationException>(() => Score(guard, 2));
    }

    [Fact]
    public void ASecondThreadEnteringWhileOneScoresBreaksTheEngineForBoth()
    {
        var guard = new ConcurrentUseGuard();
        guard.Enter(0);
        var second = Assert.Throws<InvalidOperationException>(() => OnOtherThread(() => guard.Enter(1)));
        Assert.Contains("while the first was scoring", second.Message);
        Assert.Throws<InvalidOperationException>(() => guard.CheckUnchanged(0, 0));   // the first learns it at the end of its row
        guard.Exit();
    }
}
