namespace Microsoft.ML.Lora.Tests.Reliability.Concurrency;

/// <summary>Work on several threads released at the same moment (a barrier), with any thread's exception rethrown here.</summary>
internal static class Together
{
    public static T[] Run<T>(int threads, Func<int, T> work)
    {
        var results = new T[threads];
        var errors = new Exception?[threads];
        using var start = new Barrier(threads);
        var all = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                results[i] = work(i);
            }
            catch (Exception e) { errors[i] = e; }
        })).ToArray();
        foreach (var t in all) t.Start();
        foreach (var t in all) t.Join();
        var failed = errors.Where(e => e is not null).ToArray();
        if (failed.Length > 0) throw new AggregateException(failed!);
        return results;
    }
}
