using System.Diagnostics;
using System.Net.Http.Json;

namespace SentimentApi.Client;

/// <summary>One request of a load run: its texts, the status, the answer and how long it took.</summary>
public sealed record LoadResult(IReadOnlyList<string> Texts, int Status, PredictResponse? Answer, double Milliseconds);

/// <summary>
/// A bounded load on <c>POST /predict</c>: every request sent once, at most <c>parallel</c> in flight at a time; each
/// request's latency, and the wall time of the whole run (requests/s = count / wall time).
/// </summary>
public static class LoadRun
{
    /// <summary>Sends <paramref name="requests"/> (the texts of each) with <paramref name="parallel"/> in flight.</summary>
    public static async Task<(IReadOnlyList<LoadResult> Results, TimeSpan Wall)> RunAsync(HttpClient client, IReadOnlyList<IReadOnlyList<string>> requests, int parallel)
    {
        var results = new LoadResult[requests.Count];
        var wall = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, requests.Count), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, ct) =>
        {
            var texts = requests[i];
            var body = texts.Count == 1 ? (object)new { text = texts[0] } : new { texts };
            var clock = Stopwatch.StartNew();
            using var response = await client.PostAsJsonAsync("predict", body, ct);
            var answer = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<PredictResponse>(ct) : null;
            results[i] = new LoadResult(texts, (int)response.StatusCode, answer, clock.Elapsed.TotalMilliseconds);
        });
        return (results, wall.Elapsed);
    }

    /// <summary>The <paramref name="percent"/>th percentile of the latencies (nearest rank).</summary>
    public static double Percentile(IEnumerable<LoadResult> results, double percent)
    {
        var sorted = results.Select(r => r.Milliseconds).Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
